import { writeFile } from 'node:fs/promises'
import { openDemoRedis } from '../../demo/services.js'
import { readMeter } from '../../meter/read.js'
import { summarize } from '../../report/amplification.js'
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../report/files.js'
import { reportWindow } from '../../report/window.js'
import { parseOptions, redisUrlOption, type CliCommand, usage } from '../command.js'
import { filePath, integer, oneOf } from '../option-values.js'

const positiveSeconds = integer({ min: 1, unit: 'seconds' })

export const reportAmplificationCommand: CliCommand = {
  name: ['report', 'amplification'],
  summary: 'DB calls per request, per route, from the meter\'s shared counters',
  help: `usage: cutover report amplification [--since 15m | --from TIME [--to TIME]] [--format table|md|html|json] [--out FILE]
                                   [--prefix P] [--bucket-seconds N] [--redis-url URL] [--title T]

Adds up the counters every metered process wrote to Redis over a window and
shows, per route: requests, inline DB queries, refresh jobs enqueued, the DB
reads the worker made for them, DB calls per request, Redis commands per
request, p50/p99 latency, page-cache hit ratio and refresh backlog; shadow
renders apart from user traffic; queue depth.

  --since D          window ending now: 90s, 15m, 2h, 1d (default 15m)
  --from, --to TIME  explicit window, ISO 8601 (--to defaults to now)
  --format F         table (default), md, html or json
  --out FILE         write there instead of standard output (its directory must exist)
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
    const format = oneOf<ReportFormat>(REPORT_FORMATS)('--format', values.format)
    const bucketSeconds = positiveSeconds('--bucket-seconds', values['bucket-seconds'])
    const window = usage(() => reportWindow({ since: values.since, from: values.from, to: values.to, now: Date.now() }))
    const out = values.out === undefined ? undefined : filePath('--out', values.out)
    const redis = await openDemoRedis(redisUrlOption(values['redis-url'], io.env), '--redis-url (or REDIS_URL)')
    try {
      const reading = await readMeter({ redis, prefix: values.prefix, bucketSeconds, ...window })
      const report = { title: values.title, generatedAt: new Date().toISOString(), phases: [summarize(reading, { label: values.prefix })] }
      const text = renderReport(report, format)
      if (out !== undefined) {
        await writeFile(out, text)
        io.out(`wrote ${out}`)
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
