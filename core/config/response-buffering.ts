import type { Location, Server, Settings } from "./model.ts";

/** A block's response-buffering sizes, nginx's defaults filled in. */
export interface ResponseBufferSizes {
  /** `proxy_buffers`: what a response holds in memory before it goes to a temp file. */
  readonly memoryBytes: number;
  /** `proxy_max_temp_file_size`: the temp file's cap (0: none is made). */
  readonly maxTempFileBytes: number;
  readonly tempPath: string | null;
}

/** The larger of `proxy_buffer_size` and one of `proxy_buffers`: nginx's unit for the other sizes. */
function unit(s: Settings): number {
  return Math.max(s.proxyBufferSize, s.proxyBuffers.size);
}

/** nginx's sizes for a block (`ngx_http_proxy_merge_loc_conf()`): -1 means unset, then the default. */
export function responseBufferSizes(s: Settings): ResponseBufferSizes {
  return {
    memoryBytes: s.proxyBuffers.count * s.proxyBuffers.size,
    maxTempFileBytes: s.proxyMaxTempFileSize === -1 ? 1024 * 1024 * 1024 : s.proxyMaxTempFileSize,
    tempPath: s.proxyTempPath,
  };
}

/** nginx's checks of one block's merged sizes, in its order: the first that fails, or null. */
function check(s: Settings): string | null {
  const size = unit(s);
  if (s.proxyBuffers.count < 2) return `there must be at least 2 "proxy_buffers"`;
  const busy = s.proxyBusyBuffersSize === -1 ? 2 * size : s.proxyBusyBuffersSize;
  const ofTheMaximum = `the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"`;
  if (busy < size) return `"proxy_busy_buffers_size" must be equal to or greater than ${ofTheMaximum}`;
  if (busy > (s.proxyBuffers.count - 1) * s.proxyBuffers.size) {
    return `"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer`;
  }
  const write = s.proxyTempFileWriteSize === -1 ? 2 * size : s.proxyTempFileWriteSize;
  if (write < size) return `"proxy_temp_file_write_size" must be equal to or greater than ${ofTheMaximum}`;
  const max = s.proxyMaxTempFileSize === -1 ? 1024 * 1024 * 1024 : s.proxyMaxTempFileSize;
  if (max !== 0 && max < size) {
    return `"proxy_max_temp_file_size" must be equal to zero to disable temporary files usage or must be equal to or greater than ${ofTheMaximum}`;
  }
  return null;
}

/**
 * nginx checks the sizes as it merges each server and location into its parent, once the http
 * block is read (so it names the line of its closing brace), in order.
 */
export function checkResponseBuffering(servers: readonly Server[]): string | null {
  const inLocations = (locations: readonly Location[]): string | null => {
    for (const l of locations) {
      const failed = check(l.settings) ?? inLocations(l.children);
      if (failed) return failed;
    }
    return null;
  };
  for (const server of servers) {
    const inServer = check(server.settings) ?? inLocations(server.locations);
    if (inServer) return inServer;
  }
  return null;
}
