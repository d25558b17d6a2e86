import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import type { GuardedStore } from './guarded-store.js'
import { REFRESH_HEADER, RENDER_HEADERS } from '../headers.js'
import type { PageKey } from './store.js'

export interface BackgroundRefreshOptions {
  app: FastifyInstance
  /** This process's marker token; the render is recognized by it and stored. */
  token: string
  leaseTtlMs: number
  /** The store whose render lease keeps other processes from refreshing too; none for an in-process store. */
  lease: Pick<GuardedStore, 'acquireLease' | 'releaseLease'> | undefined
  log: FastifyBaseLogger
}

// Conditional and per-connection headers belong to the user's request, not to the re-render; nor do
// cutover's own render headers (a user's `x-cutover-shadow-path: legacy` would send the refresh down
// the legacy path, and the page would never be refreshed).
const NOT_REPLAYED = new Set(['if-none-match', 'if-modified-since', 'content-length', 'connection', ...RENDER_HEADERS])

/**
 * Re-renders a page in the background (stale-while-revalidate, early XFetch
 * refresh): once per key in this process, and once across processes through
 * the render lease. The render is an `inject` of the same request marked with
 * this process's token, so it runs every hook a user's request runs and the
 * page cache stores its result.
 */
export class BackgroundRefresh {
  private readonly running = new Set<string>()

  constructor(private readonly options: BackgroundRefreshOptions) {}

  refresh(routeId: string, request: FastifyRequest, key: PageKey): void {
    const id = `${key.route}\n${key.hash}`
    if (this.running.has(id)) return
    this.running.add(id)
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !NOT_REPLAYED.has(name)) headers[name] = value
    }
    headers[REFRESH_HEADER] = this.options.token
    const { lease, app, log, leaseTtlMs } = this.options
    let token: string | null | undefined
    const run = async (): Promise<void> => {
      if (lease) {
        token = await lease.acquireLease(key, leaseTtlMs)
        if (token === null) return
      }
      await app.inject({ method: 'GET', url: request.url, headers })
    }
    run()
      .catch((err: unknown) => log.warn({ err, route: routeId }, 'cutover: background refresh failed'))
      .finally(() => {
        this.running.delete(id)
        if (lease && token) lease.releaseLease(key, token).catch(() => {})
      })
  }
}
