/**
 * What a contender's process used, read from Linux's /proc: CPU time over all its threads and
 * its peak resident set, which can be reset between runs so each run reports its own peak. A
 * process with children (nginx's master and its workers) counts them too.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";

const TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** The process and its children, recursively (proc(5): /proc/PID/task/TID/children). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
  } catch {}
  return [pid, ...children.flatMap(processTree)];
}

/** User plus system CPU seconds the process and its children have used so far, all threads included. */
export function cpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + ownCpuSeconds(p), 0);
}

function ownCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of proc(5); `state` (field 3) is index 0 here.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Peak resident set (VmHWM) in MiB since the process started or since `resetPeakRss`; with
 * children, the sum of their peaks (pages they share, such as code, are counted in each).
 */
export function peakRssMiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const status = readFileSync(`/proc/${p}/status`, "utf8");
    return sum + Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  }, 0);
}

/** Resident set (VmRSS) in MiB now, the process and its children. */
export function rssMiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const status = readFileSync(`/proc/${p}/status`, "utf8");
    return sum + Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  }, 0);
}

/** Starts a new peak-RSS window (proc(5): writing 5 to clear_refs resets VmHWM). */
export function resetPeakRss(pid: number): void {
  for (const p of processTree(pid)) writeFileSync(`/proc/${p}/clear_refs`, "5");
}

/** Pins every thread of a process to one CPU so contenders and load never share a core. */
export function pinToCpu(pid: number, cpu: number): void {
  const result = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset failed for ${pid}: ${result.stderr || result.error}`);
}

/**
 * Files under `dir` the process still holds open after deleting them with bytes in them (a
 * spool file it forgot to close; edgeproxy's idle spool files are empty). Only `dir`: V8 and
 * Node hold deleted files of their own (memfd and the like).
 */
export function deletedFilesHeld(pid: number, dir: string): number {
  let held = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!link.startsWith(`${dir}/`) || !link.endsWith(" (deleted)")) continue;
      if (statSync(`/proc/${pid}/fd/${fd}`).size > 0) held++;
    } catch {
      // Closed while we looked.
    }
  }
  return held;
}
