// wrk (a C load generator) as the benchmarks' load generator: run in its own
// process and pinned to its own CPU, so the server under test keeps the other
// one to itself. An in-process JavaScript generator shares the machine's two
// cores with the server and caps what can be measured well below what the
// server does (it was the ceiling the older figures reported).
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The wrk binary on PATH, or undefined. */
export function findWrk(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * wrk where it is installed; as root on Debian/Ubuntu, installs it (the
 * `wrk` package) when missing. Undefined (with a line saying how to get it)
 * when neither works: the caller falls back to autocannon and says so.
 */
export function ensureWrk(log: (line: string) => void = console.log): string | undefined {
  const found = findWrk()
  if (found) return found
  if (process.getuid?.() === 0 && process.env.BENCH_NO_INSTALL === undefined) {
    try {
      log('wrk not found: installing it (apt-get install -y wrk)')
      execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' })
      return findWrk()
    } catch {
      // fall through to the hint
    }
  }
  log('wrk not found (install it: `apt-get install wrk`, `brew install wrk`); falling back to autocannon, in-process, which shares the server\'s cores')
  return undefined
}

export interface WrkOptions {
  url: string
  seconds: number
  connections: number
  headers?: Record<string, string>
  /** Request paths, sent in turn (wrapping around); the url's path otherwise. */
  paths?: readonly string[]
  /** CPU to pin wrk to (taskset), when the machine has it. */
  cpu?: number | undefined
}

export interface WrkResult {
  rps: number
  /** Latency percentiles, ms. */
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function latencyMs(text: string, percentile: string): number {
  const m = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text)
  if (!m) throw new Error(`wrk output has no ${percentile}% latency:\n${text}`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/** Parses the text wrk prints with `--latency`. */
export function parseWrk(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)
  const total = /^\s*(\d+) requests in/m.exec(text)
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${text}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  return {
    rps: Number(rps[1]),
    p50: latencyMs(text, '50'),
    p99: latencyMs(text, '99'),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0,
  }
}

const luaString = (s: string): string => JSON.stringify(s) // JSON's escapes are valid Lua for the ASCII paths sent here

/** A wrk script sending `paths` in turn; one thread, so one sequence. */
function pathScript(paths: readonly string[]): string {
  const lines = ['local paths = {', ...paths.map((p) => `${luaString(p)},`), '}', 'local i = 0']
  lines.push('request = function()', '  i = i % #paths + 1', '  return wrk.format(nil, paths[i])', 'end')
  return lines.join('\n')
}

/** Runs wrk once (one thread) and parses what it prints. */
export async function runWrk(wrk: string, options: WrkOptions): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency']
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`)
  let dir: string | undefined
  if (options.paths && options.paths.length > 0) {
    dir = mkdtempSync(join(tmpdir(), 'cutover-bench-wrk-'))
    const script = join(dir, 'paths.lua')
    writeFileSync(script, pathScript(options.paths))
    args.push('-s', script)
  }
  args.push(options.url)
  const [file, argv] = options.cpu === undefined ? [wrk, args] : ['taskset', ['-c', String(options.cpu), wrk, ...args]]
  try {
    const text = await new Promise<string>((resolve, reject) => {
      execFile(file, argv, { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`wrk failed: ${err.message}\n${stderr}`)) : resolve(stdout)))
    })
    return parseWrk(text)
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}
