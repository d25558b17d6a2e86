import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { DEMO_CATEGORIES, DEMO_PRODUCTS, PAGE_SIZE } from './schema.js'

export interface LoadOptions {
  /** Base URL of the app, e.g. http://127.0.0.1:3000 */
  url: string
  /** Seconds of load. */
  durationSeconds: number
  /** Concurrent connections. @default 8 */
  connections?: number
  /** Share of requests that are writes (PUT). @default 0.01 */
  writeShare?: number
  /** Seed of the request mix, so two runs send the same sequence. @default 1 */
  seed?: number
  /** Only this kind of request (the benchmark drives one route). @default the mix */
  only?: 'list'
  /** Requests per second across all connections (steady load); unset: as fast as the app answers. */
  rate?: number
  /** `even`: a third of the reads on each read route (lists, category pages, single products). @default the skewed mix */
  mix?: 'even'
  /** Stops the load early (the result covers what was sent). */
  signal?: AbortSignal
  /** Called about once a second with seconds elapsed and requests so far. */
  onTick?: (elapsedSeconds: number, requests: number) => void
}

export interface LoadResult {
  requests: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Connection errors and timeouts. */
  errors: number
  non2xx: number
  durationSeconds: number
}

/** A small seeded generator (mulberry32): the same seed gives the same request mix. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Skewed popularity: index in [0, n), low indexes far more often (about a power law). */
export function skewed(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n * random() ** 3))
}

export interface PlannedRequest {
  method: 'GET' | 'PUT'
  path: string
  body?: string
}

const SORTS = ['id', 'id', 'id', 'price', '-price', 'name']

/**
 * The next request of the mix: product lists (45%), category lists (20%),
 * single products (the rest), and `writeShare` price changes.
 */
export function planRequest(random: () => number, writeShare: number, only?: 'list', mix?: 'even'): PlannedRequest {
  const pages = DEMO_PRODUCTS / PAGE_SIZE
  const sort = SORTS[Math.floor(random() * SORTS.length)] ?? 'id'
  if (only === 'list') return { method: 'GET', path: `/api/products?page=${skewed(random, pages) + 1}&sort=${sort}` }
  const r = random()
  if (r < writeShare) {
    const id = skewed(random, DEMO_PRODUCTS) + 1
    return { method: 'PUT', path: `/api/products/${id}`, body: JSON.stringify({ priceCents: 199 + Math.floor(random() * 49_800) }) }
  }
  const [lists, categories] = mix === 'even' ? [1 / 3, 2 / 3] : [0.45, 0.65]
  if (r < writeShare + lists) return { method: 'GET', path: `/api/products?page=${skewed(random, pages) + 1}&sort=${sort}` }
  if (r < writeShare + categories) {
    const category = skewed(random, DEMO_CATEGORIES) + 1
    const catPages = Math.ceil(DEMO_PRODUCTS / DEMO_CATEGORIES / PAGE_SIZE)
    return { method: 'GET', path: `/api/categories/${category}/products?page=${skewed(random, catPages) + 1}&sort=${sort}` }
  }
  return { method: 'GET', path: `/api/products/${skewed(random, DEMO_PRODUCTS) + 1}` }
}

/** Drives the demo's request mix at the app with autocannon, in this process. */
export function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const random = seededRandom(options.seed ?? 1)
  const writeShare = options.writeShare ?? 0.01
  return new Promise((resolve, reject) => {
    let elapsed = 0
    let sent = 0
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 8,
        duration: options.durationSeconds,
        ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
        requests: [
          {
            setupRequest: (request) => {
              const planned = planRequest(random, writeShare, options.only, options.mix)
              sent++
              return {
                ...request,
                method: planned.method,
                path: planned.path,
                ...(planned.body !== undefined ? { body: planned.body, headers: { 'content-type': 'application/json' } } : { body: undefined, headers: {} }),
              }
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err)
        resolve({
          requests: result.requests.total,
          requestsPerSecond: result.requests.total / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors,
          non2xx: result.non2xx,
          durationSeconds: result.duration,
        })
      },
    )
    instance.on('tick', () => options.onTick?.(++elapsed, sent))
    options.signal?.addEventListener('abort', () => instance.stop(), { once: true })
  })
}

/**
 * driveLoad in a child process (load-child.ts), off the app's event loop:
 * `ready` resolves once the process has started its load, `done` with its
 * result once it has stopped (at the end of its duration, or when `signal` aborts).
 */
export function driveLoadApart(options: Omit<LoadOptions, 'onTick'>): { ready: Promise<void>; done: Promise<LoadResult> } {
  const self = fileURLToPath(import.meta.url)
  const file = self.replace(/load\.(ts|js)$/, 'load-child.$1')
  // Run from the sources (tsx), the child needs tsx too.
  const child = fork(file, [JSON.stringify({ ...options, signal: undefined })], { execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const stop = (): void => void (child.connected && child.send('stop'))
  options.signal?.addEventListener('abort', stop, { once: true })
  let started: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (started = resolve))
  const done = new Promise<LoadResult>((resolve, reject) => {
    let result: LoadResult | undefined
    child.on('message', (message) => {
      if (message === 'ready') started()
      else result = message as LoadResult
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      options.signal?.removeEventListener('abort', stop)
      started()
      if (result) resolve(result)
      else reject(new Error(`the load process exited with code ${code} before it reported`))
    })
  })
  return { ready, done }
}
