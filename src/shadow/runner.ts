import { createHash } from 'node:crypto'
import { CUTOVER_ERR_SHADOW_OPTIONS_INVALID } from '../errors.js'
import { ShadowBreaker, type BreakerOptions } from './breaker.js'
import { abortable, boundSignal } from './bound-signal.js'
import type { CandidateSource, RenderedResponse } from './candidate-source.js'
import { classify, type ClassifiedDiff } from './classify.js'
import { setsOnlySessionCookies } from '../pagecache/session-cookies.js'
import { compareResponses, parseBody, type ResponseSide } from './compare.js'
import type { ShadowContext, ShadowHandler } from './hook.js'
import { loopbackCandidateSource } from './loopback-source.js'
import { compileRules, type CompiledRules, type PathDiff, type ShadowRules } from './json-diff.js'
import { findLeaks, IdentityValues, userValues } from './leak.js'
import { NoiseModel } from './noise-model.js'
import { compilePattern, stableStringify, type PathPattern } from './path-pattern.js'
import type { ShadowRecord, SideStats } from './record.js'
import { createRedactor, SECRET_QUERY_PARAMS, type Redactor } from './redact.js'
import { createScrubber, scrubRecord, type Scrubber } from './scrub.js'
import { prettyBody, unifiedDiff } from './text-diff.js'

/** Per-route comparison settings. */
export interface ShadowRouteOptions {
  rules?: ShadowRules
  /** Body paths holding per-user values (a cached page showing another user's value is a leak). */
  perUserPaths?: string[]
  /** Body paths whose values are redacted before anything is stored. */
  redactPaths?: string[]
  /** Request headers stored with samples (secret ones always appear as `[redacted]`). @default SAFE_HEADERS */
  keepHeaders?: string[]
  /**
   * More request headers (besides SECRET_HEADERS) whose values are secret: stored as `[redacted]`,
   * and scrubbed from every stored body, diff and patch that echoes them.
   */
  secretHeaders?: string[]
  /**
   * More query parameters (besides SECRET_QUERY_PARAMS) whose values are secret: redacted in stored
   * URLs and scrubbed from every stored body, diff and patch that echoes them.
   */
  secretQueryParams?: string[]
}

/** Where records go; the MySQL writer implements it. Must not block or throw. */
export interface ShadowSink {
  write(record: ShadowRecord): void
}

export interface ShadowRunnerOptions {
  sink: ShadowSink
  /** @default loopbackCandidateSource() (fresh and legacy renders through the app's own socket; app.inject while it isn't listening) */
  source?: CandidateSource
  /** Settings by route id. */
  routes?: Record<string, ShadowRouteOptions>
  /**
   * Share of samples with a cached candidate that also get a fresh page render (mismatches always do).
   * @default 0.1
   */
  freshRate?: number
  /**
   * Share of samples that get a secondary legacy render to learn noise.
   * @default 0.1
   */
  secondaryRate?: number
  /**
   * Also run a secondary for every mismatch (what noise must explain).
   * @default true
   */
  secondaryOnMismatch?: boolean
  /**
   * Bound on one shadow's total time, ms.
   * @default 2000
   */
  timeoutMs?: number
  /**
   * A shadow slower than this counts against the route's breaker, ms.
   * @default 1000
   */
  slowMs?: number
  /**
   * Shadows running at once; more are skipped (counted).
   * @default 4
   */
  maxConcurrent?: number
  breaker?: BreakerOptions
  noise?: NoiseModel
  /** Identity of a request for leak detection; default: a hash of its Authorization or Cookie header. */
  identify?: (headers: ShadowContext['request']['headers']) => string | undefined
  /**
   * Unified diffs built per minute, per route and kind of mismatch (the same paths differing for the same causes):
   * the costliest step, and the writer keeps only a few examples per path anyway (from samples with a diff).
   * @default 30
   */
  maxPatchesPerMinute?: number
  /**
   * Longest value (as JSON) kept per difference; longer ones are cut.
   * @default 500
   */
  maxValueLength?: number
  random?: () => number
  now?: () => number
}

export interface ShadowRunnerStats {
  ran: number
  errors: number
  skipped: { method: number; breaker: number; busy: number }
}

export interface ShadowRunner {
  handler: ShadowHandler
  stats(): ShadowRunnerStats
  /** Routes whose breaker is open now. */
  openRoutes(): string[]
  readonly noise: NoiseModel
}

interface RouteCompiled {
  rules: CompiledRules
  perUser: PathPattern[]
  redactor: Redactor
}

function rate(name: string, v: number | undefined, dflt: number): number {
  const r = v ?? dflt
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw new CUTOVER_ERR_SHADOW_OPTIONS_INVALID(`${name} to be a number in [0, 1]`, String(v))
  return r
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const r = v ?? dflt
  if (typeof r !== 'number' || !(r > 0)) throw new CUTOVER_ERR_SHADOW_OPTIONS_INVALID(`${name} to be a positive number`, String(v))
  return r
}

function defaultIdentity(headers: ShadowContext['request']['headers']): string | undefined {
  const v = headers.authorization ?? headers.cookie
  if (v === undefined) return undefined
  return createHash('sha256').update(Array.isArray(v) ? v.join(';') : v).digest('hex').slice(0, 24)
}

/** Which paths differ and why, as one string: the paths and causes of the differences that count. */
function mismatchKind(diffs: readonly ClassifiedDiff[]): string {
  const parts = new Set<string>()
  for (const d of diffs) if (!d.ignored && d.cause !== null) parts.add(`${d.shape} ${d.cause}`)
  return [...parts].sort().join('\n')
}

/** Lets the event loop take pending I/O (user requests) between the steps of a shadow. */
const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

const stats = (r: RenderedResponse | ShadowContext['control']): SideStats => ({
  status: r.status,
  durationMs: r.durationMs,
  dbCalls: r.dbCalls ?? null,
  redisCalls: r.redisCalls ?? null,
  refreshJobs: r.refreshJobs ?? null,
})

/** The app's declared session cookies (`sessionCookies`), when cutover is registered. */
function sessionCookiesOf(ctx: ShadowContext): ReadonlySet<string> {
  const declared = (ctx.app as { cutover?: { sessionCookies?: ReadonlySet<string> } } | undefined)?.cutover?.sessionCookies
  return declared ?? new Set()
}

/**
 * The control without a Set-Cookie that sets only declared session cookies:
 * the session plugin adds that to every response, hits included, and a
 * stored page never holds one, so its absence on the cached side is not a
 * difference users would see. Any other Set-Cookie is still compared.
 */
function withoutSessionCookie<T extends ResponseSide>(side: T, declared: ReadonlySet<string>): T {
  if (!setsOnlySessionCookies(side.headers['set-cookie'], declared)) return side
  const headers = { ...side.headers }
  delete headers['set-cookie']
  return { ...side, headers }
}

export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const source = options.source ?? loopbackCandidateSource()
  const freshRate = rate('freshRate', options.freshRate, 0.1)
  const secondaryRate = rate('secondaryRate', options.secondaryRate, 0.1)
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 2000)
  const slowMs = positive('slowMs', options.slowMs, 1000)
  const maxConcurrent = positive('maxConcurrent', options.maxConcurrent, 4)
  const maxValueLength = positive('maxValueLength', options.maxValueLength, 500)
  const secondaryOnMismatch = options.secondaryOnMismatch ?? true
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const identify = options.identify ?? defaultIdentity
  const breaker = new ShadowBreaker(options.breaker)
  const noise = options.noise ?? new NoiseModel()
  const identities = new IdentityValues()
  const counters: ShadowRunnerStats = { ran: 0, errors: 0, skipped: { method: 0, breaker: 0, busy: 0 } }
  const compiled = new Map<string, RouteCompiled>()
  const compile = (route: string, o: ShadowRouteOptions = {}): RouteCompiled => ({
    rules: compileRules(o.rules),
    perUser: (o.perUserPaths ?? []).map((p) => {
      try {
        return compilePattern(p)
      } catch {
        throw new CUTOVER_ERR_SHADOW_OPTIONS_INVALID(`routes["${route}"].perUserPaths to hold JSON pointers`, p)
      }
    }),
    redactor: createRedactor({
      bodyPaths: o.redactPaths ?? [],
      headers: o.secretHeaders ?? [],
      queryParams: [...SECRET_QUERY_PARAMS, ...(o.secretQueryParams ?? [])],
      ...(o.keepHeaders ? { keepHeaders: o.keepHeaders } : {}),
    }),
  })
  for (const [route, o] of Object.entries(options.routes ?? {})) compiled.set(route, compile(route, o))
  const routeOf = (id: string): RouteCompiled => {
    let c = compiled.get(id)
    if (!c) compiled.set(id, (c = compile(id)))
    return c
  }
  let inFlight = 0
  const maxPatches = positive('maxPatchesPerMinute', options.maxPatchesPerMinute, 30)
  const patchWindows = new Map<string, { start: number; used: number }>()
  // Per route and kind of mismatch (which paths differ, and why), so a rare kind (a stale page
  // among rounding mismatches) still gets its diffs when a common one has used up its minute.
  const patchBudget = (route: string, kind: string, at: number): boolean => {
    const key = `${route}\n${kind}`
    let w = patchWindows.get(key)
    if (!w || at - w.start >= 60_000) {
      patchWindows.delete(key)
      // Bounded: the oldest windows go first (a Map iterates in insertion order).
      if (patchWindows.size >= 1000) patchWindows.delete(patchWindows.keys().next().value as string)
      patchWindows.set(key, (w = { start: at, used: 0 }))
    }
    if (w.used >= maxPatches) return false
    w.used++
    return true
  }

  // Scrubbed before it is cut, so no prefix of a secret survives the cut.
  const shorten = (v: unknown, path: string, r: Redactor, scrubber: Scrubber): unknown => {
    if (v === undefined) return undefined
    const redacted = path.startsWith('/') || path === '' ? r.json(v, path) : v
    const text = stableStringify(scrubber.value(redacted))
    if (text.length <= maxValueLength) return JSON.parse(text) as unknown
    return text.slice(0, maxValueLength) + '…'
  }

  async function run(ctx: ShadowContext, route: RouteCompiled, signal: AbortSignal, at: number): Promise<ShadowRecord> {
    const id = ctx.request.routeId
    const declared = sessionCookiesOf(ctx)
    const control: ResponseSide = withoutSessionCookie(ctx.control, declared)
    const r = route.redactor
    // Paths and shapes are scrubbed as soon as they exist: the noise model keeps shapes, and stores them.
    // The secrets come from the control as sent, session cookie included.
    const requestSecrets = r.secrets(ctx.request, ctx.control.headers)
    const early = createScrubber(requestSecrets)
    const compare = (side: ResponseSide): ReturnType<typeof compareResponses> => {
      const result = compareResponses(control, withoutSessionCookie(side, declared), route.rules)
      if (early.empty) return result
      return { ...result, diffs: result.diffs.map((d) => ({ ...d, path: early.text(d.path), shape: early.text(d.shape) })) }
    }
    // Each read or render is followed by a turn of the event loop, so the work that comes after it
    // (a comparison) runs as its own short task instead of holding up the requests that arrived meanwhile.
    const step = async <T>(p: Promise<T>): Promise<T> => {
      const value = await abortable(p, signal)
      await yieldToIo()
      return value
    }
    const cached = await step(source.cached(ctx, signal))
    const candidate = cached ?? (await step(source.fresh(ctx, signal)))
    const primary = compare(candidate)
    // Differences known noise need neither a fresh render (staleness or logic?) nor a secondary (noise?).
    const unexplained = primary.diffs.some((d) => !d.ignored && !noise.isNoise(id, d.shape, now()))
    let fresh: RenderedResponse | undefined
    let freshDiffs: PathDiff[] | undefined
    if (cached && (unexplained || random() < freshRate)) {
      fresh = await step(source.fresh(ctx, signal))
      freshDiffs = compare(fresh).diffs
    }
    let secondaryDiffs: PathDiff[] | undefined
    if (random() < secondaryRate || (secondaryOnMismatch && unexplained)) {
      const secondary = await step(source.legacy(ctx, signal))
      secondaryDiffs = compare(secondary).diffs
      const live = (ds: PathDiff[]): string[] => ds.filter((d) => !d.ignored).map((d) => d.shape)
      noise.observe(id, live(secondaryDiffs), live(primary.diffs), now())
    }
    // Bodies are parsed only where something reads them (per-user values, a patch): most samples match byte for byte.
    const perUser = route.perUser.length > 0
    const identity = identify(ctx.request.headers)
    const mine = perUser ? userValues(parseBody(control).json, route.perUser) : []
    const leaks = cached
      ? findLeaks({ route: id, identity, cachedHeaders: cached.headers, control: mine, cached: perUser ? userValues(parseBody(candidate).json, route.perUser) : [], memory: identities })
      : []
    if (identity !== undefined) identities.remember(id, identity, mine)
    const judged = classify({
      primary: primary.diffs,
      fresh: freshDiffs,
      secondary: secondaryDiffs,
      candidateIsFresh: cached === undefined,
      isNoise: (shape) => noise.isNoise(id, shape, now()),
      leaks,
    })
    // The candidate's and fresh render's Set-Cookie values join the request's; usually there are none (one scrubber, built once).
    const allSecrets = r.secrets(ctx.request, ctx.control.headers, candidate.headers, ...(fresh ? [fresh.headers] : []))
    const scrubber = allSecrets.length === requestSecrets.length ? early : createScrubber(allSecrets)
    const diffs: ClassifiedDiff[] = judged.diffs.map((d) => {
      const out: ClassifiedDiff = { ...d }
      if ('control' in d) out.control = shorten(d.control, d.path, r, scrubber)
      if ('candidate' in d) out.candidate = shorten(d.candidate, d.path, r, scrubber)
      return out
    })
    let patch: string | null = null
    if (judged.outcome === 'mismatch' && patchBudget(id, mismatchKind(diffs), at)) {
      // Bodies scrubbed before the diff (its lines are never cut mid-secret), the patch again after.
      const text = (b: ReturnType<typeof parseBody>): string => scrubber.text(prettyBody(b.text, b.json === undefined ? undefined : r.json(b.json)))
      // When only the fresh render differs (the cached page still matches), show that render.
      const shown = fresh !== undefined && primary.equal ? fresh : undefined
      const label = cached && !shown ? `cached page (age ${Math.round(cached.ageMs)}ms)` : 'fresh page render'
      const other = parseBody(shown ?? candidate)
      const p = unifiedDiff({ control: `control ${ctx.request.method} ${r.url(ctx.request.url)}`, candidate: label }, text(parseBody(control)), text(other))
      patch = p === undefined ? null : p
    }
    return scrubRecord({
      route: id,
      at,
      method: ctx.request.method,
      url: r.url(ctx.request.url),
      headers: r.headers(ctx.request.headers),
      outcome: judged.outcome,
      cause: judged.cause,
      error: null,
      candidateSource: cached ? 'cache' : 'fresh',
      pageAgeMs: cached ? cached.ageMs : null,
      control: stats(ctx.control),
      candidate: stats(candidate),
      fresh: fresh ? stats(fresh) : null,
      diffs,
      patch,
      sampling: ctx.sampling ?? null,
    }, scrubber)
  }

  const handler: ShadowHandler = async (ctx) => {
    const method = ctx.request.method.toUpperCase()
    const id = ctx.request.routeId
    if (method !== 'GET' && method !== 'HEAD') {
      counters.skipped.method++
      return
    }
    if (!breaker.allow(id, now())) {
      counters.skipped.breaker++
      return
    }
    if (inFlight >= maxConcurrent) {
      counters.skipped.busy++
      return
    }
    inFlight++
    counters.ran++
    const started = now()
    const bound = boundSignal(ctx.signal, timeoutMs)
    const signal = bound.signal
    const route = routeOf(id)
    let record: ShadowRecord
    try {
      record = await run(ctx, route, signal, started)
      breaker.record(id, now() - started > slowMs, now())
    } catch (err) {
      counters.errors++
      breaker.record(id, true, now())
      const scrubber = createScrubber(route.redactor.secrets(ctx.request, ctx.control.headers))
      record = scrubRecord({
        route: id, at: started, method, url: route.redactor.url(ctx.request.url), headers: route.redactor.headers(ctx.request.headers),
        outcome: 'error', cause: null, error: scrubber.text((err as Error).message).slice(0, 250),
        candidateSource: 'fresh', pageAgeMs: null, control: stats(ctx.control), candidate: null, fresh: null, diffs: [], patch: null, sampling: ctx.sampling ?? null,
      }, scrubber)
    } finally {
      bound.release()
      inFlight--
    }
    options.sink.write(record)
  }

  return {
    handler,
    stats: () => ({ ...counters, skipped: { ...counters.skipped } }),
    openRoutes: () => breaker.open(now()),
    noise,
  }
}
