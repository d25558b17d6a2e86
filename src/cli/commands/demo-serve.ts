import { seedDemoData } from '../../demo/schema.js'
import { DEFAULT_DEMO_DATABASE, redactUrl, withDemoServices } from '../../demo/services.js'
import { startDemoStack } from '../../demo/stack.js'
import { parseOptions, type CliCommand } from '../command.js'
import { DEMO_SERVICES_HELP, demoDataOptions, demoServiceUrls, positiveInteger, queueDriver } from '../demo-options.js'
import { databaseName, host as readHost, port as readPort } from '../option-values.js'

export const demoServeCommand: CliCommand = {
  name: ['demo', 'serve'],
  summary: 'run the demo app and its refresh worker on a port, legacy or with the page cache on',
  help: `usage: cutover demo serve [--port N] [--host H] [--page-cache] [--queue list|bullmq] [--database NAME] [--prefix P]
                         [--metrics] [--worker-concurrency N]

Seeds the demo database if needed, then serves the demo app with its refresh
worker in this process until interrupted (Ctrl-C). Point your own load or
tools at it. The meter writes under the prefix: read it with
\`cutover report amplification --prefix P\`.

  --port N                port, 0 to 65535 (default 3000; 0 picks a free one)
  --host H                address to listen on, an IP address or host name (default 127.0.0.1)
  --page-cache            page cache on for the read routes (their refresh jobs stop)
  --queue D               refresh queue driver: list (default) or bullmq
  --database NAME         MySQL database (default ${DEFAULT_DEMO_DATABASE})
  --prefix P              Redis key prefix (default cutover-demo)
  --metrics               serve Prometheus metrics at /metrics
  --worker-concurrency N  refresh jobs the worker runs at once (default 32)

Routes: GET /api/products?page&sort&category, GET /api/products/:id,
GET /api/categories/:id/products?page&sort, PUT /api/products/:id.
${DEMO_SERVICES_HELP}`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...demoDataOptions('cutover-demo'),
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'page-cache': { type: 'boolean', default: false },
      queue: { type: 'string', default: 'list' },
      metrics: { type: 'boolean', default: false },
      'worker-concurrency': { type: 'string', default: '32' },
    })
    const port = readPort('--port', values.port)
    const host = readHost('--host', values.host)
    const queue = queueDriver('--queue', values.queue)
    const workerConcurrency = positiveInteger('--worker-concurrency', values['worker-concurrency'])
    const { mysqlUrl, redisUrl } = demoServiceUrls(io.env)
    const database = databaseName('--database', values.database)
    return withDemoServices({ mysqlUrl, redisUrl, database }, async ({ pool, redis }) => {
      const rows = await seedDemoData(pool)
      const stack = await startDemoStack({
        pool, redis, prefix: values.prefix, queue, pageCache: values['page-cache'], metrics: values.metrics, workerConcurrency,
      })
      // Closed on every way out, a failed listen included: its worker and meter connections would keep the process alive.
      try {
        const url = await stack.app.listen({ port, host })
        io.out(`demo app (${values['page-cache'] ? 'page cache on for the read routes' : 'legacy'}) with its refresh worker at ${url}`)
        io.out(`database ${database} at ${redactUrl(mysqlUrl)}: ${rows.toLocaleString('en-US')} products; queue driver ${queue}`)
        io.out(`try: curl '${url}/api/products?page=1&sort=price'${values.metrics ? `; metrics at ${url}/metrics` : ''}`)
        io.out(`figures: cutover report amplification --prefix ${values.prefix} --since 5m   (Ctrl-C stops)`)
        await interrupted()
        io.out('stopping')
      } finally {
        await stack.close()
      }
      return 0
    })
  },
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
