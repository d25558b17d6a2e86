import { runDemo } from '../../demo/run-demo.js'
import { DEFAULT_DEMO_DATABASE } from '../../demo/services.js'
import { parseOptions, type CliCommand } from '../command.js'
import { DEMO_SERVICES_HELP, demoDataOptions, demoServiceUrls, positiveInteger, queueDriver } from '../demo-options.js'
import { databaseName, outputDirectory } from '../option-values.js'

export const demoCommand: CliCommand = {
  name: ['demo'],
  summary: 'the legacy app measured under load, then with the page cache on: before/after report',
  help: `usage: cutover demo [--duration S] [--connections N] [--queue list|bullmq] [--database NAME] [--prefix P]
                   [--drain S] [--worker-concurrency N] [--out DIR]

Creates and seeds the demo database (10,000 products, idempotent), starts the
legacy app (object cache in Redis, one refresh job per record served) with its
worker, drives load (autocannon: product lists, category pages, single
products with skewed popularity, 1% writes) and prints the amplification
table. Then turns the page cache on for the read routes (their refresh jobs
stop), repeats the same load and prints before/after side by side. Writes the
report as HTML, Markdown and JSON.

  --duration S            seconds of load per phase (default 15)
  --connections N         concurrent connections (default 8)
  --queue D               refresh queue driver: list (default) or bullmq
  --database NAME         MySQL database, created if missing (default ${DEFAULT_DEMO_DATABASE})
  --prefix P              Redis key prefix (default cutover-demo; the meter writes
                          under <P>-legacy and <P>-pagecache)
  --drain S               longest wait for the worker to run the legacy backlog (default 10);
                          jobs still queued then count at the measured reads per job
  --worker-concurrency N  refresh jobs the worker runs at once (default 32)
  --out DIR               report directory (default ./reports)

${DEMO_SERVICES_HELP}`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...demoDataOptions('cutover-demo'),
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '8' },
      queue: { type: 'string', default: 'list' },
      drain: { type: 'string', default: '10' },
      'worker-concurrency': { type: 'string', default: '32' },
      out: { type: 'string', default: 'reports' },
    })
    await runDemo({
      ...demoServiceUrls(io.env),
      database: databaseName('--database', values.database),
      prefix: values.prefix,
      queue: queueDriver('--queue', values.queue),
      durationSeconds: positiveInteger('--duration', values.duration),
      connections: positiveInteger('--connections', values.connections),
      drainSeconds: positiveInteger('--drain', values.drain),
      workerConcurrency: positiveInteger('--worker-concurrency', values['worker-concurrency']),
      outDir: outputDirectory('--out', values.out),
      log: io.out,
    })
    return 0
  },
}
