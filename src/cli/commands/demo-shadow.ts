import { RENAMED_PRODUCT, SHADOW_DEMO_ROUTE } from '../../demo/shadow-names.js'
import { defineCommand, opt } from '../define.js'
import { decimal, integer, invalidOption, outputDirectory } from '../option-values.js'
import { demoServiceOptions } from '../shared-options.js'

const positive = integer({ min: 1 })

export const demoShadowCommand = defineCommand({
  name: ['demo', 'shadow'],
  summary: 'the legacy demo with products.list in shadow mode and deliberate faults: the shadow report of that run',
  description: `Proves the shadow comparison on the legacy demo. Seeds the demo database,
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
JSON and prints what it found per cause.`,
  options: {
    duration: opt.withDefault(positive, 15, 'seconds of load', { placeholder: 'S' }),
    connections: opt.withDefault(positive, 8, 'concurrent connections', { placeholder: 'N' }),
    'shadow-rate': opt.withDefault(decimal({ min: 0, max: 1, inclusive: [false, true] }), 0.2, `share of ${SHADOW_DEMO_ROUTE} requests shadowed, in (0, 1]`, { placeholder: 'R', aliases: ['sample-rate'] }),
    'rename-at': opt.value(integer({ min: 0, unit: 'seconds' }), `seconds into the load to rename product ${RENAMED_PRODUCT}, below --duration; 0 renames it\nbefore the load, when no refresh job can race it`, { placeholder: 'S', defaultText: 'a third of --duration' }),
    out: opt.withDefault(outputDirectory, 'reports', 'report directory', { placeholder: 'DIR' }),
    ...demoServiceOptions('cutover-demo-shadow'),
  },
  footer: 'The database also holds the shadow tables; the prefix of this run is cleared first.',
  async run({ options: o }, io) {
    if (o['rename-at'] !== undefined && o['rename-at'] >= o.duration) invalidOption('--rename-at', `a whole number of seconds from 0 to ${o.duration - 1}`, String(o['rename-at']))
    const { runShadowDemo } = await import('../../demo/run-shadow.js')
    await runShadowDemo({
      mysqlUrl: o['mysql-url'],
      redisUrl: o['redis-url'],
      database: o.database,
      prefix: o.prefix,
      durationSeconds: o.duration,
      ...(o['rename-at'] === undefined ? {} : { renameAtSeconds: o['rename-at'] }),
      connections: o.connections,
      sampleRate: o['shadow-rate'],
      outDir: o.out,
      log: io.out,
    })
    return 0
  },
})
