// `npm run bench`: every benchmark, each printing absolute figures and ratios
// against a baseline measured in the same run. Not part of `npm test`.
import { run as drain } from './drain.bench.js'
import { run as flags } from './flags.bench.js'
import { run as legacy } from './legacy.bench.js'
import { run as pagecache } from './pagecache.bench.js'
import { run as shadow } from './shadow.bench.js'

const only = process.argv[2]
const suites: Record<string, () => Promise<unknown>> = {
  pagecache: () => pagecache(),
  flags: () => flags(),
  legacy: () => legacy(),
  shadow: () => shadow(),
  drain: () => drain(),
}
for (const [name, suite] of Object.entries(suites)) {
  if (only && only !== name) continue
  await suite()
}
