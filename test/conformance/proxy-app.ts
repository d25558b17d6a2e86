// The app the conformance suite talks to: a Fastify reverse proxy in front of
// the suite's origin, with every /test/* request on a cutover route that
// follows the origin's caching headers. /config and /state (the suite's own
// bookkeeping) pass through uncached.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cutover, { type CutoverOptions } from '../../src/plugin.js'

/** Request headers a proxy does not forward (RFC 9110 §7.6.1), besides those its Connection names. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'host', 'content-length'])
/** Response headers Fastify and Node write themselves. */
const NOT_COPIED = new Set(['transfer-encoding', 'keep-alive', 'content-length'])

/** Every status an origin may send a whole page with: the suite checks 203, 204, 299, 301, 404, 410, 500, ... */
const ALL_STATUSES = Array.from({ length: 400 }, (_, i) => 200 + i).filter((s) => s !== 206 && s !== 304)

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  }
  return out
}

/** Forwards the request to the origin and answers with what it sent (status, headers, body). */
/**
 * A new connection per request: a reused keep-alive socket the origin closes
 * at the same moment (its idle timeout) fails the request with ECONNRESET,
 * which the suite would score as the cache's failure.
 */
const agent = new Agent({ keepAlive: false })

function forward(origin: URL) {
  return async function proxy(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = Buffer.isBuffer(request.body) ? request.body : undefined
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const out = httpRequest(
        { host: origin.hostname, port: origin.port, method: request.method, path: request.url, headers: forwardHeaders(request.headers), agent },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }))
          res.on('error', reject)
        },
      )
      out.on('error', reject)
      out.end(body)
    })
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !NOT_COPIED.has(name)) reply.header(name, value)
    }
    reply.code(answer.status)
    return reply.send(answer.body)
  }
}

export interface ProxyAppOptions {
  origin: URL
  cutover?: CutoverOptions
}

export async function buildProxyApp(options: ProxyAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  // The suite sends M-SEARCH to check that an unknown unsafe method invalidates too.
  app.addHttpMethod('M-SEARCH', { hasBody: true })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  await app.register(cutover, options.cutover ?? {})
  const proxy = forward(options.origin)
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'M-SEARCH']
  app.route({
    method: methods,
    url: '/test/*',
    config: { cutover: { id: 'conformance', followOrigin: true, statuses: ALL_STATUSES, query: true } },
    handler: proxy,
  })
  app.route({ method: methods, url: '/*', handler: proxy })
  return app
}
