import type { Logger } from "../capabilities.ts";
import type { Server } from "../config/model.ts";
import type { ConnectionInfo } from "../exchange.ts";
import { isVerifyFailureAllowed } from "./verify-error.ts";

/** nginx's log action while it processes a request's head (`ngx_http_process_request_headers()`). */
const READING = " while reading client request headers";

/**
 * What nginx checks of a request's connection once its server is known, before any phase:
 * plain HTTP on a TLS address (497), a Host other than the SNI name for a server that verifies
 * clients (421, `ngx_http_set_virtual_server()`), and the client certificate (495 when it did
 * not verify, 496 when `ssl_verify_client on` got none; `ngx_http_process_request()`). Returns
 * the status to answer, or 0; `log` is the request's, which adds nginx's context to each line.
 */
export function tlsRefusal(connection: ConnectionInfo, server: Server, host: string | null, log: Logger): number {
  if (connection.isPlainOnTlsPort) {
    log.info(`client sent plain HTTP request to HTTPS port${READING}`);
    return 497;
  }
  const tls = connection.tls;
  if (!tls) return 0;
  const mode = server.settings.sslVerifyClient;
  if (mode === "off") return 0;
  if (tls.serverName !== "" && host !== null && host !== tls.serverName) {
    log.info(`client attempted to request the server name different from the one that was negotiated${READING}`);
    return 421;
  }
  const verify = tls.clientVerify;
  if (!isVerifyFailureAllowed(mode, verify) && verify.kind === "failed") {
    log.info(`client SSL certificate verify error: (${verify.code}:${verify.reason})${READING}`);
    return 495;
  }
  if (mode === "on" && tls.clientCertificate === null) {
    log.info(`client sent no required SSL certificate${READING}`);
    return 496;
  }
  return 0;
}
