// `npm run bench`: every benchmark, each printing absolute figures and ratios
// against a baseline measured in the same run. Not part of `npm test`.
import { run as drain } from './drain.bench.js'
import { run as flags } from './flags.bench.js'
import { run as legacy } from './legacy.bench.js'
import { run as meter } from './meter.bench.js'
import { run as pagecache } from './pagecache.bench.js'
import { run as shadow } from './shadow.bench.js'

import { cpus, loadavg } from 'node:os'
import { loadGenerator } from './harness.js'

const only = process.argv[2]
// The machine the figures come from: a load average near or above the core count means a busy machine.
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
console.log(`load generator: ${loadGenerator()}`)
const suites: Record<string, () => Promise<unknown>> = {
  pagecache: () => pagecache(),
  flags: () => flags(),
  legacy: () => legacy(),
  meter: () => meter(),
  shadow: () => shadow(),
  drain: () => drain(),
}
for (const [name, suite] of Object.entries(suites)) {
  if (only && only !== name) continue
  await suite()
}
