// The timeline report as Markdown (the summary, the story, delivery figures,
// every decision, the findings) and as JSON (the data itself).
import { decisions, delivery, type TimelineData } from './timeline-model.js'
import { beforeAfterRows, deliveryRows, duration } from './timeline-text.js'

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const table = (head: string[], rows: string[][]): string[] => [
  `| ${head.map(cell).join(' | ')} |`,
  `| ${head.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
]

export function renderTimelineMarkdown(d: TimelineData): string {
  const dora = delivery(d.events, d.routes)
  const out = [
    `# ${d.title}`,
    '',
    `Playbook ${d.playbook} at ${Math.round(d.timeScale)}x, ${duration(d.endedAt - d.startedAt)} of wall time; generated ${d.generatedAt}.`,
    '',
    '## Before and after',
    '',
    ...table(['', 'before', 'after'], beforeAfterRows(d)),
    '',
    '## The story',
    '',
    ...d.story.map((c) => `- ${c.ok ? '[x]' : '[ ] **not as scripted:**'} ${c.text}`),
    '',
    '## Delivery figures',
    '',
    ...table(['route', 'stages entered', 'promoted', 'gate failures', 'lead time shadow to on (playbook)', '(wall)'], deliveryRows(dora)),
    '',
    `Change failure rate ${dora.changeFailureRate === null ? '-' : `${(dora.changeFailureRate * 100).toFixed(1)}%`}; time to restore ${dora.restores.map((r) => `${r.route} ${duration(r.scaledMs)} (wall ${duration(r.wallMs)})`).join(', ') || '- (no failure)'}.`,
    `The drainer refreshed ${d.drained.toLocaleString('en-US')} jobs.`,
    '',
    '## Decisions',
    '',
    ...table(['into the run', 'route', 'decision', 'detail'], decisions(d.events).map((m) => [duration(m.at - d.startedAt), m.route ?? 'queue', m.kind, m.detail])),
    '',
    '## Gates that held for samples',
    '',
    ...table(['route', 'stage', 'gate', 'from', 'to', 'last reading'], d.holds.map((x) => [x.route ?? 'queue', x.stage, x.gate, duration(x.from - d.startedAt), duration(x.to - d.startedAt), x.detail])),
    '',
    '## Shadow findings by cause',
    '',
  ]
  for (const f of d.findings) {
    out.push(`### ${f.cause}: ${f.count} sample(s)`, '')
    if (f.example) {
      out.push(`${f.example.route} \`${f.example.url}\` at \`${f.example.shape}\``, '')
      if (f.example.patch) out.push('```diff', f.example.patch.trimEnd(), '```', '')
    }
  }
  if (d.findings.length === 0) out.push('No shadow mismatch.', '')
  return out.join('\n')
}

export function renderTimelineJson(d: TimelineData): string {
  return JSON.stringify({ ...d, delivery: delivery(d.events, d.routes), decisions: decisions(d.events) }, null, 2) + '\n'
}
