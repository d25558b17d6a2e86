import { defineCommand, opt } from '../define.js'
import { host, integer, port } from '../option-values.js'
import { demoServiceOptions } from '../shared-options.js'
import { queueDriver } from './demo.js'

export const demoServeCommand = defineCommand({
  name: ['demo', 'serve'],
  summary: 'run the demo app and its refresh worker on a port, legacy or with the page cache on',
  description: `Seeds the demo database if needed, then serves the demo app with its refresh
worker in this process until interrupted (Ctrl-C). Point your own load or
tools at it. The meter writes under the prefix: read it with
\`cutover report amplification --prefix P\`.`,
  options: {
    port: opt.withDefault(port, 3000, 'port, 0 to 65535 (0 picks a free one)', { placeholder: 'N' }),
    host: opt.withDefault(host, '127.0.0.1', 'address to listen on, an IP address or host name', { placeholder: 'H' }),
    'page-cache': opt.flag('page cache on for the read routes (their refresh jobs stop)'),
    queue: opt.withDefault(queueDriver, 'list', 'refresh queue driver: list or bullmq', { placeholder: 'D' }),
    metrics: opt.flag('serve Prometheus metrics at /metrics'),
    'worker-concurrency': opt.withDefault(integer({ min: 1 }), 32, 'refresh jobs the worker runs at once', { placeholder: 'N' }),
    ...demoServiceOptions('cutover-demo'),
  },
  footer: `Routes: GET /api/products?page&sort&category, GET /api/products/:id,
GET /api/categories/:id/products?page&sort, PUT /api/products/:id.`,
  async run({ options: o }, io) {
    const { serveDemo } = await import('../work/demo-serve.js')
    return serveDemo({
      mysqlUrl: o['mysql-url'], redisUrl: o['redis-url'], database: o.database, prefix: o.prefix, port: o.port, host: o.host,
      pageCache: o['page-cache'], queue: o.queue, metrics: o.metrics, workerConcurrency: o['worker-concurrency'], log: io.out,
    })
  },
})
