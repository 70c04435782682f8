import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { get } from "../support/client.ts";
import { freePort, ROOT, startEdgeproxy, tempDir, wrapConfig } from "../support/proxies.ts";
import { waitFor } from "../support/wait.ts";

/** One run of a command: exit status and both outputs. */
interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The package's version, as `-v` prints it. */
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** Whether this process may run commands as `nobody` (permission failures need an unprivileged user). */
const IS_ROOT = process.getuid?.() === 0;
const AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

function ran(r: SpawnSyncReturns<string>): Ran {
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The messages of a run with their levels, as `[level] message`, the same for both programs:
 * nginx's own prefix (`nginx: `, or the time and `pid#tid: ` of its stderr log) and edgeproxy's
 * (`edgeproxy: `) removed; lines without a level are kept as they are, prefix removed.
 */
function messages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/^(nginx|edgeproxy): /, "").replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /, "$1 "));
}

/**
 * nginx's command line on a socket-owning adapter (`command` starts it from the repository
 * root), compared with the live nginx wherever nginx behaves the same: options, -t/-T/-q, -g,
 * -p, -e, -s through the pid file, and the `[emerg]` lines of bind and open failures.
 */
export function commandLineSuite(name: string, command: string[]): void {
  const [program, ...prefixArgs] = command as [string, ...string[]];
  const edge = (args: string[], options: { cwd?: string; asNobody?: boolean } = {}): Ran => {
    const argv = [...(options.asNobody ? AS_NOBODY : []), program, ...prefixArgs, ...args];
    const [cmd, ...rest] = argv as [string, ...string[]];
    return ran(spawnSync(cmd, rest, { cwd: options.cwd ?? ROOT, encoding: "utf8", timeout: 15_000 }));
  };
  const nginx = (args: string[], options: { asNobody?: boolean } = {}): Ran => {
    const argv = [...(options.asNobody ? AS_NOBODY : []), "nginx", ...args];
    const [cmd, ...rest] = argv as [string, ...string[]];
    return ran(spawnSync(cmd, rest, { encoding: "utf8", timeout: 15_000 }));
  };
  /** Every directory this suite made, removed after it. */
  const made: string[] = [];
  const scratch = (prefix: string) => {
    const dir = tempDir(prefix);
    made.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  /** A config file in a fresh directory: main-level lines, then wrapConfig's with `http`. */
  const configIn = (http: string, main = ""): { dir: string; file: string } => {
    const dir = scratch("cli");
    const file = join(dir, "edgeproxy.conf");
    writeFileSync(file, `${main}${wrapConfig(dir, http.replaceAll("{{dir}}", dir))}`);
    return { dir, file };
  };

  describe(`${name} command line`, () => {
    test("-v prints the version to stderr and -h nginx's option list, and both exit 0", () => {
      const v = edge(["-v"]);
      expect([v.status, v.stdout, v.stderr]).toEqual([0, "", `edgeproxy version: edgeproxy/${VERSION}\n`]);
      const V = edge(["-V"]);
      expect(V.stderr).toMatch(
        new RegExp(`^edgeproxy version: edgeproxy/${VERSION}\nrunning on (Node\\.js|Bun) .+\nconfigure arguments: `),
      );
      const ours = edge(["-h"]);
      const theirs = nginx(["-h"]);
      expect(ours.status).toBe(theirs.status);
      // The same options with the same words; only the defaults of -p and -c are edgeproxy's.
      const options = (text: string) => text.split("\n").filter((l) => /^ {2}-/.test(l) && !/^ {2}-[pc] /.test(l));
      expect(options(ours.stderr)).toEqual(options(theirs.stderr));
      expect(ours.stderr).toContain("-c filename   : set configuration file (default: /etc/edgeproxy/edgeproxy.conf)");
    });

    test("refuses bad options with nginx's messages and exit status", () => {
      const cases = [["-x"], ["foo"], ["-tz"], ["-s", "foo"], ["-s"], ["-c"], ["-p"], ["-e"], ["-g"]];
      for (const args of cases) {
        const ours = edge(args);
        const theirs = nginx(args);
        expect({ args, status: ours.status, said: messages(ours.stderr) }).toEqual({
          args,
          status: theirs.status,
          said: messages(theirs.stderr),
        });
      }
    });

    test("-T prints every file read after a successful test, as nginx -T, and -q keeps the test quiet", () => {
      const { dir, file } = configIn("include {{dir}}/conf.d/*.conf;\nserver { listen 127.0.0.1:1; }");
      mkdirSync(join(dir, "conf.d"));
      writeFileSync(join(dir, "conf.d", "b.conf"), "upstream b { server 127.0.0.1:2; }\n");
      writeFileSync(join(dir, "conf.d", "a.conf"), "# caf\xe9\nupstream a { server 127.0.0.1:1; }");
      const ours = edge(["-T", "-c", file]);
      const theirs = nginx(["-T", "-p", `${dir}/`, "-c", file]);
      expect(ours.status).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(messages(ours.stderr)).toEqual(messages(theirs.stderr));
      const quiet = edge(["-t", "-q", "-c", file]);
      expect([quiet.status, quiet.stderr]).toEqual([0, nginx(["-t", "-q", "-p", `${dir}/`, "-c", file]).stderr]);
    });

    test("-t opens the access_log, error_log and pid files and makes the temp directories, and fails as nginx when one cannot be", () => {
      const cases = [
        (dir: string) => wrapConfig(dir, `server { listen 127.0.0.1:1; access_log ${dir}/missing/access.log; }`),
        (dir: string) => wrapConfig(dir, `server { listen 127.0.0.1:1; error_log ${dir}/missing/error.log; }`),
        (dir: string) => wrapConfig(dir, `server { listen 127.0.0.1:1; location / { access_log ${dir}/missing/a.log combined; } }`),
        (dir: string) => wrapConfig(dir, "").replace(`pid ${dir}/nginx.pid;`, `pid ${dir}/missing/x.pid;`),
        (dir: string) => wrapConfig(dir, `server { listen 127.0.0.1:1; location / { client_body_temp_path ${dir}/missing/body; } }`),
      ];
      for (const config of cases) {
        const dir = scratch("cli");
        const file = join(dir, "edgeproxy.conf");
        writeFileSync(file, config(dir));
        const ours = edge(["-t", "-c", file]);
        const theirs = nginx(["-t", "-p", `${dir}/`, "-c", file]);
        expect(ours.status).toBe(1);
        expect({ status: ours.status, said: messages(ours.stderr) }).toEqual({ status: theirs.status, said: messages(theirs.stderr) });
      }
      // A file that can be opened is created by the test, as nginx creates it.
      const { dir, file } = configIn("server { listen 127.0.0.1:1; access_log {{dir}}/access.log; }");
      expect(edge(["-t", "-c", file]).status).toBe(0);
      expect(existsSync(join(dir, "access.log"))).toBe(true);
    });

    test("-g adds main-level directives before the file's, and its errors say 'in command line'", () => {
      const { dir, file } = configIn("server { listen 127.0.0.1:1; }");
      const cases = ["worker_processes 2;", "foo bar;", "worker_processes 2", "http { }", "worker_processes 1; worker_processes 2;"];
      for (const g of cases) {
        const ours = edge(["-t", "-g", g, "-c", file]);
        const theirs = nginx(["-t", "-g", g, "-p", `${dir}/`, "-c", file]);
        expect({ g, status: ours.status, said: messages(ours.stderr) }).toEqual({
          g,
          status: theirs.status,
          said: messages(theirs.stderr),
        });
      }
      // A directive the file repeats: nginx names the file's line, edgeproxy too (FILE:LINE first).
      const dup = edge(["-t", "-g", `pid ${dir}/other.pid;`, "-c", file]);
      expect(dup.status).toBe(nginx(["-t", "-g", `pid ${dir}/other.pid;`, "-p", `${dir}/`, "-c", file]).status);
      expect(dup.stderr).toContain(`${file}:3: "pid" directive is duplicate`);
    });

    test("-p is where relative paths start: -c, access_log and pid", async () => {
      const dir = scratch("prefix");
      const port = await freePort();
      mkdirSync(join(dir, "conf"));
      mkdirSync(join(dir, "logs"));
      writeFileSync(
        join(dir, "conf", "edgeproxy.conf"),
        `pid logs/edgeproxy.pid;\nevents {}\nhttp { access_log logs/access.log; server { listen 127.0.0.1:${port}; location / { return 200 "p\\n"; } } }\n`,
      );
      const elsewhere = scratch("cwd");
      expect(nginx(["-t", "-q", "-p", dir, "-c", "conf/edgeproxy.conf"]).status).toBe(0);
      expect(edge(["-t", "-q", "-p", dir, "-c", "conf/edgeproxy.conf"], { cwd: elsewhere }).status).toBe(0);
      const proxy = await startEdgeproxyAt(command, port, dir, ["-p", dir, "-c", "conf/edgeproxy.conf"], elsewhere);
      try {
        expect((await get(port, "/")).body.toString()).toBe("p\n");
        await waitFor(async () => readFileSync(join(dir, "logs", "access.log"), "utf8").includes('"GET / HTTP/1.1" 200'));
        expect(readFileSync(join(dir, "logs", "edgeproxy.pid"), "utf8")).toBe(`${proxy.pid}\n`);
      } finally {
        await proxy.stop();
      }
      expect(existsSync(join(dir, "logs", "edgeproxy.pid"))).toBe(false);
    });

    test("-s reload, reopen and quit reach the process through its pid file, which goes when it exits", async () => {
      const v = (text: string) => (port: number) =>
        `access_log {{dir}}/access.log;\nserver { listen 127.0.0.1:${port}; location / { return 200 "${text}\\n"; } }`;
      const proxy = await startEdgeproxy(v("v1"), command);
      const file = join(proxy.dir, "edgeproxy.conf");
      const pidFile = join(proxy.dir, "nginx.pid");
      try {
        expect(readFileSync(pidFile, "utf8")).toBe(`${proxy.pid}\n`);
        expect((await get(proxy.port, "/")).body.toString()).toBe("v1\n");
        writeFileSync(file, wrapConfig(proxy.dir, v("v2")(proxy.port).replaceAll("{{dir}}", proxy.dir)));
        expect(edge(["-s", "reload", "-c", file]).status).toBe(0);
        await waitFor(async () => (await get(proxy.port, "/")).body.toString() === "v2\n");

        // logrotate: the file is moved away, -s reopen makes a new one for the lines after it.
        await waitFor(async () => readFileSync(join(proxy.dir, "access.log"), "utf8").includes("GET /"));
        renameSync(join(proxy.dir, "access.log"), join(proxy.dir, "access.log.1"));
        expect(edge(["-s", "reopen", "-c", file]).status).toBe(0);
        await waitFor(async () => existsSync(join(proxy.dir, "access.log")));
        await get(proxy.port, "/after-reopen");
        await waitFor(async () => readFileSync(join(proxy.dir, "access.log"), "utf8").includes("/after-reopen"));
        expect(readFileSync(join(proxy.dir, "access.log.1"), "utf8")).not.toContain("/after-reopen");

        expect(edge(["-s", "quit", "-c", file]).status).toBe(0);
        expect(await proxy.exited).toBe(0);
        expect(existsSync(pidFile)).toBe(false);
      } finally {
        await proxy.stop();
      }
    });

    test("-s without a running process fails as nginx: no pid file, a bad one, a dead pid", () => {
      const { dir, file } = configIn("server { listen 127.0.0.1:1; }");
      const pidFile = join(dir, "nginx.pid");
      for (const content of [null, "", "\n", "abc\n", "2147483646\n"]) {
        if (content !== null) writeFileSync(pidFile, content);
        const ours = edge(["-s", "reload", "-c", file]);
        const theirs = nginx(["-s", "reload", "-p", `${dir}/`, "-c", file]);
        expect({ content, status: ours.status, said: messages(ours.stderr) }).toEqual({
          content,
          status: theirs.status,
          said: messages(theirs.stderr),
        });
      }
    });

    test("-e FILE takes the startup errors, as nginx's -e does", () => {
      const { dir, file } = configIn("server { listen 127.0.0.1:1; location / { proxy_pass ftp://x; } }");
      const ours = edge(["-e", join(dir, "edge-e.log"), "-c", file]);
      const theirs = nginx(["-e", join(dir, "nginx-e.log"), "-p", `${dir}/`, "-c", file]);
      expect(ours.status).toBe(theirs.status);
      expect(readFileSync(join(dir, "edge-e.log"), "utf8")).toMatch(
        /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: .*invalid URL prefix in "ftp:\/\/x"/,
      );
      expect(readFileSync(join(dir, "nginx-e.log"), "utf8")).toMatch(/\[emerg\] \d+#\d+: invalid URL prefix in /);
    });

    test("a listen address in use is refused with nginx's bind() line", async () => {
      const port = await freePort();
      const holder = net.createServer().listen(port, "127.0.0.1");
      await new Promise((r) => holder.once("listening", r));
      try {
        const { dir, file } = configIn(`server { listen 127.0.0.1:${port}; }`);
        const ours = edge(["-c", file]);
        // nginx tries five times, half a second apart, then adds "still could not bind()".
        const theirs = nginx(["-p", `${dir}/`, "-c", file]);
        expect(ours.status).toBe(theirs.status);
        expect(messages(ours.stderr)).toEqual([`[emerg] bind() to 127.0.0.1:${port} failed (98: Address already in use)`]);
        expect(messages(theirs.stderr)[0]).toBe(messages(ours.stderr)[0]);
      } finally {
        holder.close();
      }
    });

    test.skipIf(!IS_ROOT)("bind and open failures of an unprivileged user name the address or path as nginx does", () => {
      const dir = scratch("nobody");
      chmodSync(dir, 0o777);
      const locked = scratch("locked");
      chmodSync(locked, 0o700);
      const cases = [
        "server { listen 127.0.0.1:80; }",
        "server { listen [::1]:80; }",
        "server { listen 80; }",
        `server { listen unix:${locked}/edge.sock; }`,
        `access_log ${locked}/access.log; server { listen 127.0.0.1:1; }`,
      ];
      for (const http of cases) {
        const file = join(dir, "edgeproxy.conf");
        writeFileSync(file, wrapConfig(dir, http));
        chmodSync(file, 0o644);
        const ours = edge(["-c", file], { asNobody: true });
        const theirs = nginx(["-p", `${dir}/`, "-c", file], { asNobody: true });
        expect({ http, status: ours.status, said: messages(ours.stderr) }).toEqual({
          http,
          status: theirs.status,
          said: messages(theirs.stderr),
        });
      }
      const file = join(locked, "edgeproxy.conf");
      writeFileSync(file, wrapConfig(dir, ""));
      const ours = edge(["-t", "-c", file], { asNobody: true });
      const theirs = nginx(["-t", "-p", `${dir}/`, "-c", file], { asNobody: true });
      expect({ status: ours.status, said: messages(ours.stderr) }).toEqual({ status: theirs.status, said: messages(theirs.stderr) });
    });
  });
}

/** Starts the adapter with its own arguments from `cwd`, on a config that listens on `port`. */
async function startEdgeproxyAt(command: string[], port: number, dir: string, args: string[], cwd: string) {
  const { spawn } = await import("node:child_process");
  const [cmd, ...rest] = command as [string, ...string[]];
  const child = spawn(cmd, [...rest, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output}`);
    return (await get(port, "/")).status !== 0;
  });
  return {
    pid: child.pid as number,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
    dir,
  };
}
