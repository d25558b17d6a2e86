import { writeFile } from 'node:fs/promises'
import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { openDemoRedis } from '../../demo/services.js'
import { readMeter } from '../../meter/read.js'
import { summarize } from '../../report/amplification.js'
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../report/files.js'
import { reportWindow } from '../../report/window.js'
import { parseOptions, type CliCommand, usage } from '../command.js'

export const reportAmplificationCommand: CliCommand = {
  name: ['report', 'amplification'],
  summary: 'DB calls per request, per route, from the meter\'s shared counters',
  help: `usage: cutover report amplification [--since 15m | --from TIME [--to TIME]] [--format table|md|html|json] [--out FILE]
                                   [--prefix P] [--bucket-seconds N] [--redis-url URL] [--title T]

Adds up the counters every metered process wrote to Redis over a window and
shows, per route: requests, inline DB queries, refresh jobs enqueued, the DB
reads the worker made for them, DB calls per request, Redis commands per
request, p50/p99 latency, page-cache hit ratio, refresh backlog and the
producer gate's decisions (jobs queued/deduped/dropped); shadow renders apart
from user traffic; queue depth.

  --since D          window ending now: 90s, 15m, 2h, 1d (default 15m)
  --from, --to TIME  explicit window, ISO 8601 (--to defaults to now)
  --format F         table (default), md, html or json
  --out FILE         write there instead of standard output
  --prefix P         the meter's key prefix (default: cutover)
  --bucket-seconds N the meter's bucket length (default: 60)
  --redis-url URL    default $REDIS_URL or redis://127.0.0.1:6379
  --title T          report title`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      since: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'table' },
      out: { type: 'string' },
      prefix: { type: 'string', default: 'cutover' },
      'bucket-seconds': { type: 'string', default: '60' },
      'redis-url': { type: 'string' },
      title: { type: 'string', default: 'cutover amplification report' },
    })
    const format = values.format as ReportFormat
    if (!REPORT_FORMATS.includes(format)) throw new CUTOVER_ERR_CLI_USAGE(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${values.format}"`)
    const bucketSeconds = Number(values['bucket-seconds'])
    if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1) throw new CUTOVER_ERR_CLI_USAGE(`--bucket-seconds must be a positive integer, got "${values['bucket-seconds']}"`)
    const window = usage(() => reportWindow({ since: values.since, from: values.from, to: values.to, now: Date.now() }))
    const redis = await openDemoRedis(values['redis-url'] ?? io.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    try {
      const reading = await readMeter({ redis, prefix: values.prefix, bucketSeconds, ...window })
      const report = { title: values.title, generatedAt: new Date().toISOString(), phases: [summarize(reading, { label: values.prefix })] }
      const text = renderReport(report, format)
      if (values.out !== undefined) {
        await writeFile(values.out, text)
        io.out(`wrote ${values.out}`)
      } else {
        io.out(text)
      }
      if (reading.dataFrom === undefined) io.err(`no meter data under prefix "${values.prefix}" in ${new Date(window.from).toISOString()} .. ${new Date(window.to).toISOString()}`)
      return 0
    } finally {
      redis.disconnect()
    }
  },
}
