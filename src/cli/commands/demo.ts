import { defineCommand, opt } from '../define.js'
import { integer, oneOf, outputDirectory } from '../option-values.js'
import { demoServiceOptions } from '../shared-options.js'

const positive = integer({ min: 1 })
export const queueDriver = oneOf(['list', 'bullmq'] as const)

export const demoCommand = defineCommand({
  name: ['demo'],
  summary: 'the legacy app measured under load, then with the page cache on: before/after report',
  description: `Creates and seeds the demo database (10,000 products, idempotent), starts the
legacy app (object cache in Redis, one refresh job per record served) with its
worker, drives load (product lists, category pages, single products with
skewed popularity, 1% writes) and prints the amplification table. Then turns
the page cache on for the read routes (their refresh jobs stop), repeats the
same load and prints before/after side by side. Writes the report as HTML,
Markdown and JSON.`,
  options: {
    duration: opt.withDefault(positive, 15, 'seconds of load per phase', { placeholder: 'S' }),
    connections: opt.withDefault(positive, 8, 'concurrent connections', { placeholder: 'N' }),
    queue: opt.withDefault(queueDriver, 'list', 'refresh queue driver: list or bullmq', { placeholder: 'D' }),
    drain: opt.withDefault(positive, 10, 'longest wait, in seconds, for the worker to run the legacy backlog;\njobs still queued then count at the measured reads per job', { placeholder: 'S' }),
    'worker-concurrency': opt.withDefault(positive, 32, 'refresh jobs the worker runs at once', { placeholder: 'N' }),
    out: opt.withDefault(outputDirectory, 'reports', 'report directory', { placeholder: 'DIR' }),
    ...demoServiceOptions('cutover-demo'),
  },
  footer: 'The meter writes under <prefix>-legacy and <prefix>-pagecache.',
  async run({ options: o }, io) {
    const { runDemo } = await import('../../demo/run-demo.js')
    await runDemo({
      mysqlUrl: o['mysql-url'],
      redisUrl: o['redis-url'],
      database: o.database,
      prefix: o.prefix,
      queue: o.queue,
      durationSeconds: o.duration,
      connections: o.connections,
      drainSeconds: o.drain,
      workerConcurrency: o['worker-concurrency'],
      outDir: o.out,
      log: io.out,
    })
    return 0
  },
})
