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

export interface SlicedOptions {
  /** The servers, loaded in turn. */
  urls: readonly string[]
  /** Seconds of load per server. */
  seconds: number
  /** Requests per second while a server's slice lasts. */
  rate: number
  /** How long each server's turn lasts. @default 50 */
  sliceMs?: number
  /** Keep-alive sockets per server. @default 16 */
  sockets?: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/**
 * Sends requests at a fixed rate (open loop: a slow answer doesn't slow the
 * schedule, so queueing on the server shows as latency) and times each one
 * with the high-resolution clock; autocannon's histogram keeps whole
 * milliseconds, too coarse to see a 5 % change of a 1-2 ms latency. Several
 * servers are loaded at once, in turns of `sliceMs`: the schedule sends to
 * one server for a slice, then to the next, round and round. Whatever else the machine does over a run (a neighbour on the host,
 * a database flushing) then falls on every server alike, which loading them
 * one after the other for seconds each does not give: there, two identical
 * servers came out tens of percent apart in single rounds.
 */
export async function slicedLoad(options: SlicedOptions): Promise<SteadyResult[]> {
  const targets = options.urls.map((url) => ({
    url: new URL(url),
    agent: new Agent({ keepAlive: true, maxSockets: options.sockets ?? 16 }),
    latencies: [] as number[],
    sent: 0,
    errors: 0,
    non2xx: 0,
  }))
  let pending = 0
  let sent = 0
  const total = Math.round(options.seconds * options.rate) * targets.length
  const intervalMs = 1000 / options.rate
  const perSlice = Math.max(1, Math.round((options.sliceMs ?? 50) / intervalMs))
  const start = performance.now()
  const fire = (): void => {
    const target = targets[Math.floor(sent / perSlice) % targets.length]!
    sent++
    target.sent++
    pending++
    const began = performance.now()
    const { url } = target
    const req = request({ agent: target.agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET' }, (res) => {
      res.on('data', () => undefined)
      res.on('end', () => {
        target.latencies.push(performance.now() - began)
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) target.non2xx++
        pending--
      })
    })
    req.on('error', () => {
      target.errors++
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
  return targets.map((t) => {
    t.agent.destroy()
    const sorted = t.latencies.sort((a, b) => a - b)
    return {
      sent: t.sent,
      completed: sorted.length,
      errors: t.errors,
      non2xx: t.non2xx,
      p25: percentile(sorted, 25),
      p50: percentile(sorted, 50),
      p75: percentile(sorted, 75),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
    }
  })
}
