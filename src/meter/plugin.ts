import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CUTOVER_ERR_METER_OPTIONS_INVALID } from '../errors.js'
import { PATH_HEADER, RENDER_ID_HEADER, SHADOW_HEADER } from '../headers.js'
import { bindRender } from '../render-ids.js'
import { runWithMeterContext, type MeterContext, type MeterCounts } from './context.js'
import type { Meter } from './meter.js'

/** Header shadow renders carry (see the page cache's shadow seam). */

export interface MeterPluginOptions {
  meter: Meter
  /**
   * Serve the meter's Prometheus metrics (needs a meter built with `registry`).
   * `true` serves them at `/metrics`.
   * @default false
   */
  metrics?: boolean | { path: string }
  /**
   * Tells shadow renders from user requests.
   * @default a request whose `x-cutover-shadow` header equals `app.cutover.shadowToken`
   */
  isShadow?: (request: FastifyRequest) => boolean
}

type RequestMeterContext = MeterContext & { readonly counts: MeterCounts }

// Kept on the raw request: Fastify's and light-my-request's answers both carry
// it (`request.raw`, `response.raw.req`), so a shadow render's caller finds its
// counts. A symbol property, not a WeakMap: a WeakMap entry per request is an
// ephemeron every garbage collection has to visit.
const kMeterContext = Symbol('cutover.meterContext')
type WithMeterContext = { [kMeterContext]?: RequestMeterContext }
const contextOfRaw = (raw: object): RequestMeterContext | undefined => (raw as WithMeterContext)[kMeterContext]
/** What the metrics route's requests carry instead of a context: they are not metered. */
const NOT_METERED: RequestMeterContext = Object.freeze({ route: '(metrics)', shadow: false, source: 'request', counts: Object.freeze({ dbCalls: 0, redisCalls: 0, refreshJobs: 0 }) })

/**
 * The DB queries and Redis commands a request made so far through the
 * metered clients, in its own meter context (what a shadow render it started
 * made is counted on the render). Live: read it once the response is sent.
 * Undefined when the meter plugin did not see the request.
 */
export function meterCountsOf(raw: object): Readonly<MeterCounts> | undefined {
  const context = contextOfRaw(raw)
  return context === NOT_METERED ? undefined : context?.counts
}

/**
 * The route a request is charged to: its cutover route id, else its method
 * and URL pattern (`PUT /api/products/:id`), so two methods of one URL stay apart.
 */
export function meterRouteOf(request: FastifyRequest): string {
  // routeOptions is a getter that builds and freezes a new object: read it once.
  return routeOfOptions(request.routeOptions)
}

function routeOfOptions(options: FastifyRequest['routeOptions']): string {
  const cutover = (options.config as { cutover?: unknown } | undefined)?.cutover
  if (cutover !== null && typeof cutover === 'object' && typeof (cutover as { id?: unknown }).id === 'string') {
    return (cutover as { id: string }).id
  }
  const url = options.url
  return url === undefined ? '(unmatched)' : `${options.method as string} ${url}`
}

function defaultIsShadow(app: FastifyInstance): (request: FastifyRequest) => boolean {
  return (request) => {
    const header = request.headers[SHADOW_HEADER]
    if (typeof header !== 'string' || header === '') return false
    const token = (app as unknown as { cutover?: { shadowToken?: unknown } }).cutover?.shadowToken
    return typeof token === 'string' && token === header
  }
}

const meterPlugin: FastifyPluginAsync<MeterPluginOptions> = async (app, options) => {
  const { meter } = options
  if (meter === null || typeof meter !== 'object' || typeof meter.recordRequest !== 'function') {
    throw new CUTOVER_ERR_METER_OPTIONS_INVALID('meter to be a Meter', typeof meter)
  }
  const isShadow = options.isShadow ?? defaultIsShadow(app)
  const metricsPath = options.metrics === true ? '/metrics' : options.metrics ? options.metrics.path : undefined

  // The request's meter context is also its state here (one object and its counts per request).
  const contextOf = (request: FastifyRequest, options = request.routeOptions): RequestMeterContext => {
    let context = contextOfRaw(request.raw)
    if (!context) {
      context = { route: routeOfOptions(options), shadow: isShadow(request), source: 'request', counts: { dbCalls: 0, redisCalls: 0, refreshJobs: 0 } }
      ;(request.raw as WithMeterContext)[kMeterContext] = context
      // A shadow render sent over the app's own socket: its caller reads these counts by its name.
      const renderId = context.shadow ? request.headers[RENDER_ID_HEADER] : undefined
      if (typeof renderId === 'string') bindRender(renderId, request.raw)
    }
    return context
  }

  // Callback style on purpose: everything after done() (later hooks, the
  // handler, what they start) runs inside this request's meter context.
  app.addHook('onRequest', (request, _reply, done) => {
    const options = request.routeOptions
    if (metricsPath !== undefined && options.url === metricsPath) {
      // Marked, so onResponse tells it from a request answered before this hook ran.
      ;(request.raw as WithMeterContext)[kMeterContext] = NOT_METERED
      return done()
    }
    const context = contextOf(request, options)
    meter.countRequest(context.route, context.shadow)
    runWithMeterContext(context, done)
  })

  // Callback style too: an async hook is a promise per request, and on Node 20, where the
  // request context's promise hooks are on, every promise costs more.
  app.addHook('onResponse', (request, reply, done) => {
    let state = contextOfRaw(request.raw)
    if (state === NOT_METERED) return done()
    if (!state) {
      if (metricsPath !== undefined && request.routeOptions.url === metricsPath) return done()
      // An earlier onRequest hook answered before ours ran: count the request here.
      state = contextOf(request)
      meter.countRequest(state.route, state.shadow)
    }
    const cacheStatus = reply.getHeader('cache-status')
    const path = reply.getHeader(PATH_HEADER)
    meter.recordResponse({
      route: state.route,
      shadow: state.shadow,
      durationMs: reply.elapsedTime,
      statusCode: reply.statusCode,
      cacheStatus: typeof cacheStatus === 'string' ? cacheStatus : undefined,
      path: path === 'page' || path === 'legacy' ? path : undefined,
      dbCalls: state.counts.dbCalls,
      refreshJobs: state.counts.refreshJobs,
    })
    done()
  })

  if (metricsPath !== undefined) {
    const registry = meter.registry
    if (!registry) throw new CUTOVER_ERR_METER_OPTIONS_INVALID('registry (a prom-client Registry) on the meter to serve metrics', 'none')
    app.get(metricsPath, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }
}

/** Sets the meter context of each request and records its outcome. Register it before the routes. */
export const cutoverMeter = fp(meterPlugin, { name: 'cutover-meter', fastify: '5.x' })
