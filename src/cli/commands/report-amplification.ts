import { REPORT_FORMATS, type ReportFormat } from '../../report/files.js'
import { defineCommand, opt } from '../define.js'
import { filePath, integer, oneOf, text, timeText } from '../option-values.js'
import { redisOptions } from '../shared-options.js'
import { readWindow } from '../time-window.js'

export const reportAmplificationCommand = defineCommand({
  name: ['report', 'amplification'],
  summary: "DB calls per request, per route, from the meter's shared counters",
  description: `Adds up the counters every metered process wrote to Redis over a window and
shows, per route: requests, inline DB queries, refresh jobs enqueued, the DB
reads the worker made for them, DB calls per request, Redis commands per
request, p50/p99 latency, page-cache hit ratio, refresh backlog and the
producer gate's decisions (jobs queued/deduped/dropped); shadow renders apart
from user traffic; queue depth.`,
  options: {
    since: opt.withDefault(timeText, '15m', 'window start: a duration ago (90s, 15m, 2h, 1d) or an ISO 8601 time', { placeholder: 'T', aliases: ['from'] }),
    until: opt.value(timeText, 'window end, the same way', { placeholder: 'T', aliases: ['to'], defaultText: 'now' }),
    format: opt.withDefault(oneOf<ReportFormat>(REPORT_FORMATS), 'table', 'table, md, html or json', { placeholder: 'F' }),
    out: opt.value(filePath, 'write there instead of standard output (its directory must exist)', { placeholder: 'FILE' }),
    ...redisOptions,
    'bucket-seconds': opt.withDefault(integer({ min: 1, unit: 'seconds' }), 60, "the meter's bucket length", { placeholder: 'N' }),
    title: opt.withDefault(text, 'cutover amplification report', 'report title', { placeholder: 'T' }),
  },
  async run({ options: o }, io) {
    const window = readWindow(o.since, o.until, Date.now())
    const { amplificationReport } = await import('../work/report.js')
    const { text: rendered, empty } = await amplificationReport({ redisUrl: o['redis-url'], prefix: o.prefix, bucketSeconds: o['bucket-seconds'], window, title: o.title, format: o.format })
    if (o.out !== undefined) {
      const { writeFile } = await import('node:fs/promises')
      await writeFile(o.out, rendered)
      io.out(`wrote ${o.out}`)
    } else io.out(rendered)
    if (empty) io.err(`no meter data under prefix "${o.prefix}" in ${new Date(window.from).toISOString()} .. ${new Date(window.to).toISOString()}`)
    return 0
  },
})
