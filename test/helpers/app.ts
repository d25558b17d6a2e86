import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cutover, { type CutoverOptions } from '../../src/plugin.js'

/** A Fastify app with cutover registered and its logger quiet. */
export async function appWith(options: CutoverOptions = {}, fastify: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...fastify })
  await app.register(cutover, options)
  return app
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `check` is true, polling; fails after `ms`. */
/**
 * Waits until `url` is answered from the cache. A page is stored after its
 * response has gone out (compression, then the store's write): a test that
 * reads the page right after the response that stored it must wait for this.
 */
export async function untilHit(app: { inject(url: string): Promise<{ headers: Record<string, unknown> }> }, url: string, ms = 10_000): Promise<void> {
  await eventually(async () => /\bhit\b/.test(String((await app.inject(url)).headers['cache-status'])), ms)
}

export async function eventually(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`condition not met within ${ms}ms`)
}
