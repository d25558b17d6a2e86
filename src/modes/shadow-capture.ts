import { performance } from 'node:perf_hooks'
import type { FastifyInstance, FastifyRequest, onResponseHookHandler, onSendHookHandler } from 'fastify'
import type { ShadowHandler, ShadowSampling } from '../shadow/hook.js'
import type { PathStats } from './path-stats.js'
import { controlOf, type RouteRef, type ShadowLauncher } from './shadow-launcher.js'

interface ShadowMark {
  started: number
  /** The response body as onSend had it: a string is kept as it is (immutable) and turned into bytes once the shadow runs. */
  body: Buffer | string | undefined
  streamed: boolean
  sampling: ShadowSampling
}
const kShadow = Symbol('cutover.shadow')
type Marked = FastifyRequest & { [kShadow]?: ShadowMark | null }

/** Declares the request slot of the shadow mark up front (same shape for every request; see declarePageState). */
export function declareShadowMark(app: FastifyInstance): void {
  app.decorateRequest(kShadow, null)
}

/** Marks a legacy-served request for a shadow once its response is out. */
export function markForShadow(request: FastifyRequest, sampling: ShadowSampling): void {
  ;(request as Marked)[kShadow] = { started: performance.now(), body: undefined, streamed: false, sampling }
}

/**
 * Route hooks that capture the marked responses and start their shadows:
 * onSend keeps the body as it goes out, onResponse hands it to the launcher.
 */
export function shadowCaptureHooks(
  route: RouteRef,
  handler: ShadowHandler,
  launcher: ShadowLauncher,
  stats: PathStats,
): { onSend: onSendHookHandler; onResponse: onResponseHookHandler } {
  const onSend: onSendHookHandler = (request, _reply, payload, done) => {
    const mark = (request as Marked)[kShadow]
    if (mark) {
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) mark.body = payload
      else if (payload === null || payload === undefined) mark.body = Buffer.alloc(0)
      else mark.streamed = true
    }
    done(null, payload)
  }
  const onResponse: onResponseHookHandler = (request, reply, done) => {
    const mark = (request as Marked)[kShadow]
    if (mark) {
      if (mark.streamed || !mark.body) stats.shadowDropped++
      else launcher.launch({ handler, route, request, stats, sampling: mark.sampling, control: controlOf(request, reply, mark.body, mark.started) })
    }
    done()
  }
  return { onSend, onResponse }
}
