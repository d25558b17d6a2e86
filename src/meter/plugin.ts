import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CUTOVER_ERR_METER_OPTIONS_INVALID } from '../errors.js'
import { runWithMeterContext } from './context.js'
import type { Meter } from './meter.js'

/** Header shadow renders carry (see the page cache's shadow seam). */
export const SHADOW_HEADER = 'x-cutover-shadow'

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

interface RequestMeterState {
  route: string
  shadow: boolean
}

/**
 * The route a request is charged to: its cutover route id, else its method
 * and URL pattern (`PUT /api/products/:id`), so two methods of one URL stay apart.
 */
export function meterRouteOf(request: FastifyRequest): string {
  const cutover = (request.routeOptions.config as { cutover?: unknown } | undefined)?.cutover
  if (cutover !== null && typeof cutover === 'object' && typeof (cutover as { id?: unknown }).id === 'string') {
    return (cutover as { id: string }).id
  }
  const url = request.routeOptions.url
  return url === undefined ? '(unmatched)' : `${request.routeOptions.method as string} ${url}`
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
  const states = new WeakMap<FastifyRequest, RequestMeterState>()

  const stateOf = (request: FastifyRequest): RequestMeterState => {
    let state = states.get(request)
    if (!state) {
      state = { route: meterRouteOf(request), shadow: isShadow(request) }
      states.set(request, state)
    }
    return state
  }

  // Callback style on purpose: everything after done() (later hooks, the
  // handler, what they start) runs inside this request's meter context.
  app.addHook('onRequest', (request, _reply, done) => {
    if (metricsPath !== undefined && request.routeOptions.url === metricsPath) return done()
    const state = stateOf(request)
    meter.countRequest(state.route, state.shadow)
    runWithMeterContext({ route: state.route, shadow: state.shadow, source: 'request' }, done)
  })

  app.addHook('onResponse', async (request, reply) => {
    if (metricsPath !== undefined && request.routeOptions.url === metricsPath) return
    let state = states.get(request)
    if (!state) {
      // An earlier onRequest hook answered before ours ran: count the request here.
      state = stateOf(request)
      meter.countRequest(state.route, state.shadow)
    }
    const cacheStatus = reply.getHeader('cache-status')
    meter.recordResponse({
      route: state.route,
      shadow: state.shadow,
      durationMs: reply.elapsedTime,
      statusCode: reply.statusCode,
      cacheStatus: typeof cacheStatus === 'string' ? cacheStatus : undefined,
    })
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
