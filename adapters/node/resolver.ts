import { promises as dns, type RecordWithTtl } from "node:dns";
import { ResolveFailure, type Resolver } from "../../core/index.ts";

/**
 * nginx's resolver on node:dns (Bun runs it as it is): the names of `proxy_pass` with variables
 * are asked of the `resolver` servers themselves, with `resolver_timeout` and one try per
 * server, never of the system's resolver or hosts file, as nginx's resolver does not read them.
 */
export const nodeResolver: Resolver = {
  async resolve(name, servers, options) {
    const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: 1 });
    resolver.setServers([...servers]);
    const asks: Promise<RecordWithTtl[]>[] = [];
    if (options.ipv4) asks.push(resolver.resolve4(name, { ttl: true }).catch(none));
    if (options.ipv6) asks.push(resolver.resolve6(name, { ttl: true }).catch(none));
    const answers = await Promise.allSettled(asks);
    const records = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
    if (records.length > 0) return { addresses: records.map((r) => r.address), ttlSec: Math.min(...records.map((r) => r.ttl)) };
    const failed = answers.find((a): a is PromiseRejectedResult => a.status === "rejected");
    throw failed ? asFailure(failed.reason) : new ResolveFailure(3, "Host not found");
  },
};

/** A name without records of one type is an empty answer, not a failure. */
function none(error: NodeJS.ErrnoException): RecordWithTtl[] {
  if (error.code === "ENODATA" || error.code === "ENOTFOUND") return [];
  throw error;
}

/** node:dns's codes in nginx's resolver words. */
function asFailure(error: NodeJS.ErrnoException): ResolveFailure {
  switch (error.code) {
    case "ETIMEOUT":
    case "ECONNREFUSED":
      return new ResolveFailure(110, "Operation timed out", { cause: error });
    case "EREFUSED":
      return new ResolveFailure(5, "Operation refused", { cause: error });
    case "EFORMERR":
    case "EBADQUERY":
      return new ResolveFailure(1, "Format error", { cause: error });
    case "ENOTIMP":
      return new ResolveFailure(4, "Unimplemented", { cause: error });
    default:
      return new ResolveFailure(2, "Server failure", { cause: error });
  }
}
