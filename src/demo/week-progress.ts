// The week demo's progress line: the playbook day, each route's stage with
// the gates that are not passing yet, the queue's depth and drain rate.
import type { PlaybookQueueStatus } from '../playbook/queue-control.js'
import type { TickReport } from '../playbook/runner.js'
import { scaledAt } from '../playbook/state.js'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** `Tue 11:20 | products.list shadow (logicMismatches hold: 57 of 200 samples) | ... | queue 4,312 jobs, draining 0/s` */
export function progressLine(tick: TickReport, queue: (PlaybookQueueStatus & { drainRate?: number }) | undefined, now = Date.now()): string {
  const scaled = new Date(scaledAt(tick.state.clock, now))
  const parts = [`${DAYS[scaled.getUTCDay()]} ${scaled.toISOString().slice(11, 16)}`]
  for (const r of tick.state.routes.values()) {
    const waiting = tick.readings.filter((g) => g.route === r.route && g.verdict !== 'pass').map((g) => `${g.gate} ${g.verdict}`)
    const stage = r.status === 'parked' ? 'rolled back to off' : r.status === 'done' ? 'done (on)' : (r.stage ?? 'waiting')
    parts.push(`${r.route} ${stage}${waiting.length > 0 ? ` (${waiting.join(', ')})` : ''}`)
  }
  if (tick.state.queue.stage) parts.push(`queue stage ${tick.state.queue.stage}`)
  if (queue) parts.push(`queue ${queue.depth.toLocaleString('en-US')} jobs${queue.drainRate !== undefined ? `, draining ${Math.round(queue.drainRate)}/s` : ''}`)
  return parts.join(' | ')
}
