import { RENAMED_PRODUCT, runShadowDemo, SHADOW_DEMO_ROUTE } from '../../demo/run-shadow.js'
import { DEFAULT_DEMO_DATABASE } from '../../demo/services.js'
import { parseOptions, type CliCommand } from '../command.js'
import { DEMO_SERVICES_HELP, demoDataOptions, demoServiceUrls, positiveInteger } from '../demo-options.js'
import { databaseName, decimal, integer, outputDirectory } from '../option-values.js'

const sampleRate = decimal({ min: 0, max: 1, inclusive: [false, true] })

/** Seconds into a load of `duration` seconds: from 0 to below the duration. */
const renameAt = (duration: number) => integer({ min: 0, max: duration - 1, unit: 'seconds' })

export const demoShadowCommand: CliCommand = {
  name: ['demo', 'shadow'],
  summary: 'the legacy demo with products.list in shadow mode and deliberate faults: the shadow report of that run',
  help: `usage: cutover demo shadow [--duration S] [--connections N] [--sample-rate R] [--rename-at S] [--database NAME] [--prefix P] [--out DIR]

Proves the shadow comparison on the legacy demo. Seeds the demo database,
applies the shadow tables' migrations and clears this route's earlier shadow
rows, then starts the demo app with the cutover plugin: ${SHADOW_DEMO_ROUTE} in shadow
mode (the other routes legacy), the shadow runner comparing against the page
the cache would serve (and fresh page renders), samples written to MySQL.
Two deliberate differences are on: the page handler of ${SHADOW_DEMO_ROUTE} rounds
prices to whole units (logic), and list pages carry generatedAt, their render
time (noise). A few pages are rendered on the page path and cached first;
then load runs (no writes) and a third of the way in (--rename-at) product ${RENAMED_PRODUCT} is renamed
the legacy way (MySQL and its object key, no page purge), so its cached page
is stale (staleness). Writes the shadow report of the run as HTML, Markdown and
JSON and prints what it found per cause.

  --duration S            seconds of load (default 15)
  --connections N         concurrent connections (default 8)
  --sample-rate R         share of ${SHADOW_DEMO_ROUTE} requests shadowed, in (0, 1] (default 0.2)
  --rename-at S           seconds into the load to rename product ${RENAMED_PRODUCT}, below --duration; 0 renames it
                          before the load, when no refresh job can race it (default a third of --duration)
  --database NAME         MySQL database, created if missing; holds the shadow tables too (default ${DEFAULT_DEMO_DATABASE})
  --prefix P              Redis key prefix of this run, cleared first (default cutover-demo-shadow)
  --out DIR               report directory (default ./reports)

${DEMO_SERVICES_HELP}`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      ...demoDataOptions('cutover-demo-shadow'),
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '8' },
      'sample-rate': { type: 'string', default: '0.2' },
      'rename-at': { type: 'string' },
      out: { type: 'string', default: 'reports' },
    })
    const durationSeconds = positiveInteger('--duration', values.duration)
    await runShadowDemo({
      ...demoServiceUrls(io.env),
      database: databaseName('--database', values.database),
      prefix: values.prefix,
      durationSeconds,
      ...(values['rename-at'] === undefined ? {} : { renameAtSeconds: renameAt(durationSeconds)('--rename-at', values['rename-at']) }),
      connections: positiveInteger('--connections', values.connections),
      sampleRate: sampleRate('--sample-rate', values['sample-rate']),
      outDir: outputDirectory('--out', values.out),
      log: io.out,
    })
    return 0
  },
}
