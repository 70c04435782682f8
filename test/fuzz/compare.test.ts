import { describe, expect, test } from "vitest";
import type { FuzzClientRecord } from "./case-runner.ts";
import { buildCase } from "./cases.ts";
import { ambiguousFraming, compareCase, compareUpstream, type ProxyObservation, shortOfItsLength } from "./compare.ts";
import { Ledger, type Role } from "./ledger.ts";
import type { UpstreamEntry } from "./recording-backend.ts";

const entry = (text: string, kind: UpstreamEntry["kind"] = "request"): UpstreamEntry => ({
  lane: 0,
  connection: 1,
  kind,
  bytes: Buffer.from(text, "latin1"),
  clientPort: 1,
  caseIndex: 0,
});
const GET = (port: number) => `GET / HTTP/1.1\r\nX-Fuzz-Client: ${port}\r\nHost: fz0\r\n\r\n`;

describe("compareUpstream", () => {
  test("accepts the same requests, the client port each proxy names aside", () => {
    expect(compareUpstream([entry(GET(40000))], [entry(GET(50000))])).toEqual({});
  });

  test("accepts fewer requests than nginx's (stricter), as a difference", () => {
    expect(compareUpstream([entry(GET(1)), entry(GET(1))], [entry(GET(2))])).toEqual({
      difference: "upstream: edgeproxy forwarded 1 of nginx's 2",
    });
  });

  test("accepts an unfinished last request that is a prefix of nginx's", () => {
    expect(compareUpstream([entry(GET(1))], [entry(GET(2).slice(0, 20), "incomplete")])).toEqual({});
  });

  test("fails a request nginx did not forward, or forwarded otherwise", () => {
    expect(compareUpstream([], [entry(GET(1))]).failure).toMatch(/forwarded a request where nginx forwarded nothing/);
    expect(compareUpstream([entry(GET(1))], [entry(GET(1).replace("/", "/x"))]).failure).toMatch(/differs from nginx's/);
    expect(compareUpstream([entry(GET(1))], [entry(GET(1)), entry("junk", "unparsed")]).failure).toMatch(/bytes that are no request/);
  });
});

describe("compareCase", () => {
  const ledger = new Ledger();
  const owner = (t: number) => ledger.tokenOwner(t);
  // Case 3 is the first response case of any run.
  const responseCase = buildCase(1, 3);
  let nextPort = 10;
  /** A client of case 3, registered as the harness registers it: its backend answers, and what it received. */
  const party = (proxy: string, role: Role) => {
    const port = nextPort++;
    const tag = { proxy, caseIndex: 3, role };
    ledger.registerClient(proxy, 0, port, tag);
    return {
      answer: () => {
        const token = ledger.issueToken(proxy, 0, port);
        return `HTTP/1.1 200 OK\r\nServer: ${proxy}\r\nContent-Length: 12\r\nX-Token: ${token}\r\n\r\n${token}\n`;
      },
      got: (received: string, closedByProxy = false): FuzzClientRecord => ({
        port,
        tag,
        received: Buffer.from(received, "latin1"),
        closedByProxy,
      }),
    };
  };
  const observation = (...clients: FuzzClientRecord[]): ProxyObservation => ({ clients, upstream: [] });
  const page = (sig: string) => {
    const body = `<hr><center>${sig}</center>`;
    return `HTTP/1.1 502 Bad Gateway\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };

  test("finds two proxies alike when only their own answers, signatures and ports differ", () => {
    const [n1, n2, e1, e2] = [party("nginx", "first"), party("nginx", "second"), party("edgeproxy", "first"), party("edgeproxy", "second")];
    const nginx = observation(n1.got(page("nginx/1.22.1")), n2.got(n2.answer(), true));
    const edge = observation(e1.got(page("edgeproxy")), e2.got(e2.answer(), true));
    expect(compareCase(responseCase, nginx, edge, owner)).toEqual({ outcome: "identical", failures: [], differences: [] });
  });

  test("fails a later client that gets bytes written for the first, even a fragment without a token", () => {
    const [n1, n2, e1, e2] = [party("nginx", "first"), party("nginx", "second"), party("edgeproxy", "first"), party("edgeproxy", "second")];
    const nginx = observation(n1.got(n1.answer()), n2.got(n2.answer(), true));
    const firstAnswer = e1.answer();
    const edge = observation(e1.got(firstAnswer), e2.got(`${firstAnswer}${e2.answer()}`, true));
    expect(compareCase(responseCase, nginx, edge, owner).failures).toEqual([
      "leak: edgeproxy's second client received bytes meant for this case's first client",
      "leak: edgeproxy's second client received a 200 response written for nobody it asked",
    ]);
    const fragment = observation(e1.got(e1.answer()), e2.got("1 200 OK\r\n\r\n", true));
    expect(compareCase(responseCase, nginx, fragment, owner).failures).toEqual([
      "leak: edgeproxy's second client received bytes that are no response written for nobody it asked",
    ]);
  });

  test("fails an upstream answer relayed where nginx answered its own 502", () => {
    const nginx = observation(party("nginx", "first").got(page("nginx/1.22.1")));
    const edge = observation(party("edgeproxy", "first").got("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    expect(compareCase(responseCase, nginx, edge, owner)).toMatchObject({
      outcome: "failing",
      failures: ["relay: edgeproxy relayed an upstream response that nginx refused with 502"],
    });
  });

  test("counts other differences in status lines or closes as differing, not failing", () => {
    const refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    const nginx = observation(party("nginx", "first").got(refusal, true));
    const edge = observation(party("edgeproxy", "first").got(refusal));
    expect(compareCase(responseCase, nginx, edge, owner)).toEqual({
      outcome: "differing",
      failures: [],
      differences: ["first: nginx [400] closed / edgeproxy [400] open"],
    });
  });
});

describe("ambiguousFraming and shortOfItsLength", () => {
  const record = (head: string): FuzzClientRecord => ({
    port: 1,
    tag: { proxy: "edgeproxy", caseIndex: 0, role: "client" },
    received: Buffer.from(`HTTP/1.1 200 OK\r\n${head}\r\n`, "latin1"),
    closedByProxy: false,
  });

  test("names a body cut shorter than its Content-Length on a kept connection where nginx's was whole, not the empty answer to a HEAD", () => {
    const whole = { ...record("Transfer-Encoding: chunked\r\n"), received: Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") };
    const short = { ...whole, received: Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nok") };
    expect(shortOfItsLength(short, whole)).toBe(200);
    expect(shortOfItsLength({ ...short, closedByProxy: true }, whole)).toBeUndefined();
    expect(shortOfItsLength(whole, whole)).toBeUndefined();
    const answerToHead = { ...whole, received: Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n") };
    expect(shortOfItsLength(answerToHead, { ...whole, received: Buffer.from("HTTP/1.1 200 OK\r\n\r\n") })).toBeUndefined();
  });

  test("names framing headers that read two ways, and passes one framing", () => {
    expect(ambiguousFraming(record("Content-Length: 5\r\nContent-Length: 12\r\n"))).toBe("two different Content-Lengths");
    expect(ambiguousFraming(record("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"))).toBe("Content-Length with Transfer-Encoding");
    expect(ambiguousFraming(record("Content-Length: 5\r\n"))).toBeUndefined();
  });
});
