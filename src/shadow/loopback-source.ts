import { randomBytes } from 'node:crypto'
import { Agent, request as httpRequest, Server, type IncomingMessage, type RequestOptions } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { CUTOVER_ERR_SHADOW_OPTIONS_INVALID } from '../errors.js'
import { meterCountsOf } from '../meter/plugin.js'
import { RENDER_ID_HEADER } from '../headers.js'
import { awaitRender, releaseRender } from '../render-ids.js'
import { injectRender, renderHeaders, sourceOf, tokenOf, type CandidateSource, type InjectSourceOptions } from './candidate-source.js'
import type { RenderedResponse, ShadowContext } from './hook.js'

export interface LoopbackSourceOptions extends InjectSourceOptions {
  /**
   * Keep-alive connections to the app's own socket, at most. The runner's
   * `maxConcurrent` shadows each render at most twice at a time.
   * @default 8
   */
  maxSockets?: number
}

/** Where the app's own server listens, as `http.request` options; undefined where a render can't go through it. */
export function loopbackTarget(app: FastifyInstance): Pick<RequestOptions, 'host' | 'port' | 'socketPath'> | undefined {
  const server: unknown = app.server
  // A plain HTTP/1 server only: https and http2 servers are other classes, and go through app.inject.
  if (!(server instanceof Server) || !server.listening) return undefined
  const address = server.address()
  if (address === null) return undefined
  if (typeof address === 'string') return { socketPath: address }
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address
  return { host, port: address.port }
}

/**
 * Renders the candidate and the secondary as real requests to the app's own
 * listening socket, with the shadow marker (the plugin serves the page path
 * without storing it; the meter enqueues no refresh jobs), and the cached
 * page through `readCached`. With the meter plugin registered, each render
 * carries the DB/Redis calls made in its own request context.
 *
 * Why a socket and not `app.inject`: a render then runs the route's code with
 * the same kind of request and response objects as every user request.
 * Measured on a trivial route, 100 injections a second made the served path
 * 9-18 % slower for every user request, 100 loopback requests a second
 * did not slow it (likely because an injected request is an object of
 * another shape, and code that has run both is optimized for neither). A
 * loopback render also costs the kernel's side of a connection (not measured
 * apart).
 *
 * Falls back to `app.inject` while the app is not listening, and for https,
 * http2 and other servers than Node's `http.Server`. The render's request
 * arrives from the loopback address, as an injected one does.
 */
export function loopbackCandidateSource(options: LoopbackSourceOptions = {}): CandidateSource {
  const maxSockets = options.maxSockets ?? 8
  if (!Number.isInteger(maxSockets) || maxSockets < 1) throw new CUTOVER_ERR_SHADOW_OPTIONS_INVALID('maxSockets to be an integer >= 1', String(maxSockets))
  // Idle keep-alive sockets don't hold the process open (the agent unrefs them), and the app's close ends them.
  const agent = new Agent({ keepAlive: true, maxSockets })
  const prefix = randomBytes(6).toString('hex')
  let next = 0
  const render = (ctx: ShadowContext, path: 'page' | 'legacy', signal: AbortSignal): Promise<RenderedResponse> => {
    const token = options.token ?? tokenOf(ctx.app)
    const target = loopbackTarget(ctx.app)
    if (!target) return injectRender(ctx, path, token)
    const id = `${prefix}-${(next++).toString(36)}`
    const headers = { ...renderHeaders(ctx, path, token), [RENDER_ID_HEADER]: id }
    const awaited = awaitRender(id)
    const started = performance.now()
    return new Promise<RenderedResponse>((resolve, reject) => {
      const req = httpRequest({ ...target, agent, method: ctx.request.method, path: ctx.request.url, headers, signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const counts = awaited.raw ? meterCountsOf(awaited.raw) : undefined
          // As the user's response is timed, from when the plugin took the request up to when the
          // response was written: not its waits in the socket, which on a busy server are long.
          const durationMs = awaited.started !== undefined && awaited.finished !== undefined ? awaited.finished - awaited.started : performance.now() - started
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), durationMs, ...counts })
        })
      })
      req.on('error', reject)
      req.end()
    }).finally(() => releaseRender(id))
  }
  return sourceOf(render, options.readCached)
}
