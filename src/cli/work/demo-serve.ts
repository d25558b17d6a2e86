import { seedDemoData } from '../../demo/schema.js'
import { redactUrl, withDemoServices } from '../../demo/services.js'
import { startDemoStack, type QueueDriverName } from '../../demo/stack.js'

export interface ServeOptions {
  mysqlUrl: string
  redisUrl: string
  database: string
  prefix: string
  port: number
  host: string
  pageCache: boolean
  queue: QueueDriverName
  metrics: boolean
  workerConcurrency: number
  log: (line: string) => void
}

/** Serves the demo app and its worker until SIGINT or SIGTERM; everything it opened is closed on every way out. */
export async function serveDemo(o: ServeOptions): Promise<number> {
  return withDemoServices({ mysqlUrl: o.mysqlUrl, redisUrl: o.redisUrl, database: o.database }, async ({ pool, redis }) => {
    const rows = await seedDemoData(pool)
    const stack = await startDemoStack({
      pool, redis, prefix: o.prefix, queue: o.queue, pageCache: o.pageCache, metrics: o.metrics, workerConcurrency: o.workerConcurrency,
    })
    // Closed on every way out, a failed listen included: its worker and meter connections would keep the process alive.
    try {
      const url = await stack.app.listen({ port: o.port, host: o.host })
      o.log(`demo app (${o.pageCache ? 'page cache on for the read routes' : 'legacy'}) with its refresh worker at ${url}`)
      o.log(`database ${o.database} at ${redactUrl(o.mysqlUrl)}: ${rows.toLocaleString('en-US')} products; queue driver ${o.queue}`)
      o.log(`try: curl '${url}/api/products?page=1&sort=price'${o.metrics ? `; metrics at ${url}/metrics` : ''}`)
      o.log(`figures: cutover report amplification --prefix ${o.prefix} --since 5m   (Ctrl-C stops)`)
      await interrupted()
      o.log('stopping')
    } finally {
      await stack.close()
    }
    return 0
  })
}

/** Resolves on the first SIGINT or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
