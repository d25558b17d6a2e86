import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import autocannon, { type Request } from 'autocannon'
import { ensureWrk, runWrk } from './wrk.js'

/** The CPU servers are pinned to; the load generator takes the other one. */
export const SERVER_CPU = 0
export const LOAD_CPU = 1

/** A server started in its own process, so the load generator doesn't share its event loop. */
export interface BenchServer {
  url: string
  /** The server's process id (its CPU time is read from it). */
  pid: number
  stop(): Promise<void>
}

/**
 * Pins a process to one CPU (`taskset`, Linux). On a 2-core machine the
 * scheduler otherwise puts the server and the load generator on one core in
 * some rounds and on two in others, a swing larger than what is measured
 * (two identical servers came out 30 % apart). Returns false where it can't.
 */
export function pinToCpu(pid: number, cpu: number): boolean {
  if (availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export interface ServerProcessOptions {
  /** CPU to pin the server to; null leaves it to the scheduler. @default SERVER_CPU */
  cpu?: number | null
  /** The node binary to run it with (e.g. another Node version). @default process.execPath */
  execPath?: string
}

/** Forks `script` (run through tsx) with `args`; the script sends `{ port }` over IPC when listening. */
export async function startServer(script: URL, args: string[] = [], env: NodeJS.ProcessEnv = {}, options: ServerProcessOptions = {}): Promise<BenchServer> {
  const { cpu = SERVER_CPU, execPath } = options
  const child: ChildProcess = fork(script, args, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(execPath ? { execPath } : {}),
  })
  if (cpu !== null && child.pid !== undefined) pinToCpu(child.pid, cpu)
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`${script.pathname} ${args.join(' ')} exited with ${code}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** Requests completed, where the load generator says. */
  requests?: number
}

export interface LoadOptions {
  url: string
  path?: string
  seconds?: number
  connections?: number
  /** A fresh path per request (e.g. for a miss path). */
  nextPath?: () => string
  /** Request headers sent with every request. */
  headers?: Record<string, string>
}

let generator: { name: 'wrk'; path: string } | { name: 'autocannon' } | undefined

/** The load generator every suite uses: wrk when present, autocannon (named as the fallback) otherwise. */
export function loadGenerator(): string {
  if (!generator) {
    const path = process.env.BENCH_AUTOCANNON === undefined ? ensureWrk() : undefined
    generator = path ? { name: 'wrk', path } : { name: 'autocannon' }
    // autocannon runs in this process: keep it off the servers' CPU.
    if (generator.name === 'autocannon') pinToCpu(process.pid, LOAD_CPU)
  }
  return generator.name === 'wrk' ? `wrk (own process, pinned to CPU ${LOAD_CPU}; servers on CPU ${SERVER_CPU})` : 'autocannon (FALLBACK: wrk not installed; in-process load generator)'
}

/** Paths handed to wrk for a `nextPath` run: enough for every request it can send (a miss path must never repeat). */
const pathsFor = (next: () => string, seconds: number): string[] => Array.from({ length: Math.min(400_000, seconds * 25_000) }, next)

export async function load(options: LoadOptions): Promise<LoadResult> {
  loadGenerator()
  const { nextPath } = options
  if (generator?.name === 'wrk') {
    const seconds = options.seconds ?? 5
    const r = await runWrk(generator.path, {
      url: options.url + (options.path ?? '/'),
      seconds,
      connections: options.connections ?? 32,
      cpu: availableParallelism() >= 2 ? LOAD_CPU : undefined,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(nextPath ? { paths: pathsFor(nextPath, seconds) } : {}),
    })
    return { rps: r.rps, p50: r.p50, p99: r.p99, non2xx: r.non2xx, errors: r.errors, requests: r.requests }
  }
  const result = await autocannon({
    url: options.url + (options.path ?? '/'),
    duration: options.seconds ?? 5,
    connections: options.connections ?? 32,
    pipelining: 1,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(nextPath ? { requests: [{ setupRequest: (req: Request): Request => ({ ...req, path: nextPath() }) }] } : {}),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    requests: result.requests.total,
  }
}

/** The round with the median throughput (its latencies come with it). */
export function median(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.rps - b.rps)
  const mid = sorted[Math.floor(sorted.length / 2)]
  if (!mid) throw new Error('no results')
  return mid
}

export interface Row {
  name: string
  result: LoadResult
  /** Name of the row this one is compared with. */
  baseline?: string
  /** Extra figures (e.g. DB calls per request) printed as they are. */
  extra?: Record<string, string | number>
}

/** Prints rows with req/s and p99, and each row's ratio to its baseline measured in the same run. */
export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`)
  const byName = new Map(rows.map((r) => [r.name, r]))
  const table = rows.map((r) => {
    const base = r.baseline ? byName.get(r.baseline) : undefined
    return {
      case: r.name,
      'req/s': Math.round(r.result.rps),
      // Three decimals: a median of wrk's microsecond figures can come out as 0.5720000000000001.
      'p50 ms': Number(r.result.p50.toFixed(3)),
      'p99 ms': Number(r.result.p99.toFixed(3)),
      'vs baseline': base ? `${(r.result.rps / base.result.rps).toFixed(2)}x ${base.name}` : '(baseline)',
      'non-2xx': r.result.non2xx + r.result.errors,
      ...(r.extra ?? {}),
    }
  })
  console.table(table)
}
