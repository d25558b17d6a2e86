// CPU time a server process (and its descendants, e.g. varnishd's child) has
// used, from /proc (Linux). Per request, it is a cost figure that holds up on
// a busy machine far better than req/s: time spent waiting for a core is not
// counted, only the time the server ran.
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** utime + stime + ppid of a process, or undefined once it is gone. */
function stat(pid: number): { ticks: number; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: split after its closing one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** CPU seconds used by `pid` and every live descendant; undefined where /proc is absent. */
export function cpuSeconds(pid: number): number | undefined {
  if (stat(pid) === undefined) return undefined
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    const child = Number(name)
    if (!Number.isInteger(child)) continue
    const s = stat(child)
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), child])
  }
  let ticks = 0
  const todo = [pid]
  while (todo.length > 0) {
    const p = todo.pop()!
    ticks += stat(p)?.ticks ?? 0
    todo.push(...(children.get(p) ?? []))
  }
  return ticks / TICKS_PER_SECOND
}

/**
 * CPU seconds used by the live threads of `pid` (main thread, libuv pool, V8's
 * GC and compiler threads), at nanosecond resolution from each thread's
 * schedstat: fine enough to read over a fraction of a second, where the
 * tick-based figure above is off by up to 10 ms per reading. Threads that
 * have exited are not counted (a Node server's threads live as long as it).
 * Undefined where /proc or schedstat is absent.
 */
export function threadCpuSeconds(pid: number): number | undefined {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  let ns = 0
  for (const task of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9
}
