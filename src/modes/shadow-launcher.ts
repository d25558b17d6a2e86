import { performance } from 'node:perf_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { runOutsideMeterContext } from '../meter/context.js'
import { meterCountsOf } from '../meter/plugin.js'
import { abortable, boundSignal } from '../shadow/bound-signal.js'
import type { ShadowContext, ShadowHandler, ShadowSampling } from '../shadow/hook.js'
import type { ShadowBudget } from './shadow-budget.js'
import type { PathStats } from './path-stats.js'

/** A route as the mode layer knows it. */
export interface RouteRef {
  readonly id: string
  readonly mode: 'on' | 'off'
  /** True when the route's pages are per user; `user` then says whose. */
  readonly keysOnUser?: boolean
  readonly user?: ((request: FastifyRequest) => string | undefined) | undefined
}

/** A shadow to run: its handler, route and request, the response the user got, and where to count. */
export interface ShadowJob {
  handler: ShadowHandler
  route: RouteRef
  request: FastifyRequest
  /** The response the user got; its body as onSend had it (bytes are made of a string once the shadow runs). */
  control: Omit<ShadowContext['control'], 'body'> & { body: Buffer | string }
  stats: PathStats
  sampling: ShadowSampling
}

/** A shadow holding a slot: its signal (aborted at close or at its timeout) and when it is done. */
interface RunningShadow {
  controller: AbortController
  done: Promise<void>
}

/**
 * The response the user got, taken as it finished: status, headers, the body
 * captured in onSend, its time and, with the meter registered, a copy of the
 * DB/Redis calls the legacy path made by then.
 */
export function controlOf(request: FastifyRequest, reply: FastifyReply, body: Buffer | string, started: number): ShadowJob['control'] {
  return { status: reply.statusCode, headers: reply.getHeaders(), body, durationMs: performance.now() - started, ...meterCountsOf(request.raw) }
}

/**
 * Runs shadows after their responses, at most `maxConcurrent` at once (more
 * are dropped and counted), each bounded by `timeoutMs`.
 */
export class ShadowLauncher {
  readonly #running = new Set<RunningShadow>()

  constructor(
    private readonly app: FastifyInstance,
    private readonly limits: { readonly maxConcurrent: number; readonly timeoutMs: number },
    private readonly budget?: Pick<ShadowBudget, 'started'>,
  ) {}

  /**
   * Takes a slot and leaves the rest to the event loop's next turn: this is
   * called from the response's `finish` event, where even building the
   * context and its signal (cold code, tens of µs) would hold up whatever
   * else is waiting to run; requests that arrived meanwhile go first.
   */
  launch(job: ShadowJob): void {
    if (this.#running.size >= this.limits.maxConcurrent) {
      job.stats.shadowDropped++
      return
    }
    job.stats.shadowed++
    this.budget?.started()
    const entry: RunningShadow = { controller: new AbortController(), done: Promise.resolve() }
    // Outside the user's meter context: the shadow's own work is not what the user's request cost.
    entry.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => runOutsideMeterContext(() => this.#run(entry, job)))
    this.#running.add(entry)
  }

  /** Aborts running shadows and waits for them to settle (app close). */
  async close(): Promise<void> {
    const running = [...this.#running]
    for (const r of running) r.controller.abort(new Error('cutover is closing'))
    await Promise.all(running.map((r) => r.done))
  }

  async #run(entry: RunningShadow, job: ShadowJob): Promise<void> {
    const { handler, route, request, stats } = job
    if (entry.controller.signal.aborted) {
      this.#running.delete(entry)
      return
    }
    // The slot frees at the timeout even when a handler ignores its signal.
    const bound = boundSignal(entry.controller.signal, this.limits.timeoutMs)
    try {
      // The user whose page the cache holds for this request: the cached side of a per-user route is theirs.
      const user = route.keysOnUser ? route.user?.(request) : undefined
      const context: ShadowContext = {
        app: this.app,
        request: { routeId: route.id, method: request.method, url: request.url, headers: { ...request.headers }, ...(user === undefined ? {} : { user }) },
        control: { ...job.control, body: typeof job.control.body === 'string' ? Buffer.from(job.control.body) : job.control.body },
        signal: bound.signal,
        sampling: job.sampling,
      }
      await abortable(handler(context), bound.signal)
    } catch (err) {
      if (bound.signal.aborted) {
        stats.shadowTimedOut++
        request.log.warn({ route: route.id, reason: String(bound.signal.reason) }, 'cutover: shadow aborted')
      } else {
        stats.shadowFailed++
        request.log.warn({ err, route: route.id }, 'cutover: shadow failed')
      }
    } finally {
      bound.release()
      this.#running.delete(entry)
    }
  }
}
