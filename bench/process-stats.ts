/**
 * What a contender's process used, read from Linux's /proc: CPU time over all its threads and
 * its peak resident set, which can be reset between runs so each run reports its own peak.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";

const TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** User plus system CPU seconds the process has used so far, all threads included. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of proc(5); `state` (field 3) is index 0 here.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Peak resident set (VmHWM) in MiB since the process started or since `resetPeakRss`. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Starts a new peak-RSS window (proc(5): writing 5 to clear_refs resets VmHWM). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** Pins every thread of a process to one CPU so contenders and load never share a core. */
export function pinToCpu(pid: number, cpu: number): void {
  const result = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset failed for ${pid}: ${result.stderr || result.error}`);
}

/**
 * Files under `dir` the process still holds open after deleting them (a spool file it forgot
 * to close). Only `dir`: V8 and Node hold deleted files of their own (memfd and the like).
 */
export function deletedFilesHeld(pid: number, dir: string): number {
  let held = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith(`${dir}/`) && link.endsWith(" (deleted)")) held++;
    } catch {
      // Closed while we looked.
    }
  }
  return held;
}
