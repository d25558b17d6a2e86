import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

/** What a steady (open-loop) load measured, latencies in ms at microsecond resolution. */
export interface SteadyResult {
  sent: number
  completed: number
  errors: number
  non2xx: number
  p25: number
  p50: number
  p75: number
  p90: number
  p99: number
}

export interface SteadyOptions {
  url: string
  seconds: number
  /** Requests per second, sent on a fixed schedule whatever the answers do. */
  rate: number
  /** Keep-alive sockets. @default 16 */
  sockets?: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/**
 * Sends requests at a fixed rate (open loop: a slow answer doesn't slow the
 * schedule, so queueing on the server shows as latency) and times each one
 * with the high-resolution clock. autocannon's histogram keeps whole
 * milliseconds, too coarse to see a 5 % change of a 1-2 ms latency.
 */
export async function steadyLoad(options: SteadyOptions): Promise<SteadyResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.sockets ?? 16 })
  const target = new URL(options.url)
  const latencies: number[] = []
  let sent = 0
  let errors = 0
  let non2xx = 0
  let pending = 0
  const total = Math.round(options.seconds * options.rate)
  const intervalMs = 1000 / options.rate
  const start = performance.now()
  const fire = (): void => {
    sent++
    pending++
    const began = performance.now()
    const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET' }, (res) => {
      res.on('data', () => undefined)
      res.on('end', () => {
        latencies.push(performance.now() - began)
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx++
        pending--
      })
    })
    req.on('error', () => {
      errors++
      pending--
    })
    req.end()
  }
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      // Catch up on every request due by now, then sleep until the next one is.
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1)
      while (sent < due) fire()
      if (sent >= total) return resolve()
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()))
    }
    tick()
  })
  const deadline = performance.now() + 10_000
  while (pending > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  agent.destroy()
  const sorted = latencies.sort((a, b) => a - b)
  return { sent, completed: sorted.length, errors, non2xx, p25: percentile(sorted, 25), p50: percentile(sorted, 50), p75: percentile(sorted, 75), p90: percentile(sorted, 90), p99: percentile(sorted, 99) }
}
