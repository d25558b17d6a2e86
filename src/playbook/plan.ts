// The dry run: when each route would enter each stage and what it would
// write, if every gate passed the moment its hold ended (manual gates
// approved then). Pure; windows, concurrency and the time scale apply as the
// runner applies them.

import { describeGate, describeQueueTarget, describeRouteTarget } from './describe.js'
import { formatDuration } from '../duration.js'
import type { Playbook, Stage } from './model.js'
import type { RouteTarget } from './events.js'
import { queueTarget, routeTarget, sameFlag } from './targets.js'
import { describeWindow, nextOpen } from './window.js'

export interface PlannedStage {
  stage: string
  /** Epoch ms on the playbook clock, and on the machine's. */
  enterScaled: number
  enterWall: number
  holdMs: number
  writes: string[]
  gates: string[]
  window: string
}

export interface Plan {
  playbook: string
  description: string | undefined
  scale: number
  routes: Array<{ route: string; stages: PlannedStage[]; doneScaled: number; doneWall: number }>
  queue: PlannedStage[]
  endScaled: number
  endWall: number
}

export interface PlanInput {
  playbook: Playbook
  routes: readonly string[]
  /** Epoch ms the run starts (wall and playbook clock agree then). */
  start: number
  /** @default 1 */
  scale?: number
}

function planned(stage: Stage, enterScaled: number, toWall: (s: number) => number, writes: string[]): PlannedStage {
  return {
    stage: stage.name,
    enterScaled,
    enterWall: toWall(enterScaled),
    holdMs: stage.holdMs,
    writes,
    gates: stage.gates.map(describeGate),
    window: describeWindow(stage.window),
  }
}

export function plan(input: PlanInput): Plan {
  const { playbook, start } = input
  const scale = input.scale ?? 1
  const toWall = (s: number): number => Math.round(start + (s - start) / scale)
  const routeStages = playbook.stages.slice(0, playbook.firstQueueStage)
  // When each concurrency slot is free again, on the playbook clock.
  const slots = Array.from({ length: playbook.routes.concurrency }, () => start)
  const routes = input.routes.map((route) => {
    const slot = slots.indexOf(Math.min(...slots))
    let t = slots[slot] as number
    let before: RouteTarget = {}
    const stages = routeStages.map((stage) => {
      t = nextOpen(stage.window, t)
      const target = routeTarget(stage)
      // Only what changes: the runner writes what differs from what it wrote last.
      const changes: RouteTarget = {
        ...(target.flag && !sameFlag(target.flag, before.flag) ? { flag: target.flag } : {}),
        ...(target.queueGate !== undefined && target.queueGate !== before.queueGate ? { queueGate: target.queueGate } : {}),
      }
      before = target
      const p = planned(stage, t, toWall, describeRouteTarget(route, changes))
      t += stage.holdMs
      return p
    })
    slots[slot] = t
    return { route, stages, doneScaled: t, doneWall: toWall(t) }
  })
  let t = Math.max(start, ...routes.map((r) => r.doneScaled))
  const queue = playbook.stages.slice(playbook.firstQueueStage).map((stage) => {
    t = nextOpen(stage.window, t)
    const p = planned(stage, t, toWall, describeQueueTarget(queueTarget(stage, toWall(t), scale)))
    t += stage.holdMs
    return p
  })
  return { playbook: playbook.name, description: playbook.description, scale, routes, queue, endScaled: t, endWall: toWall(t) }
}

const when = (ms: number): string => {
  const d = new Date(ms)
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${d.toISOString().slice(0, 16).replace('T', ' ')}Z`
}

function stageLines(s: PlannedStage, scaled: boolean): string[] {
  const at = scaled ? `${when(s.enterScaled)} (wall ${when(s.enterWall)})` : when(s.enterWall)
  const lines = [`  ${s.stage.padEnd(12)} from ${at}, hold ${formatDuration(s.holdMs)}, advances ${s.window}`]
  for (const w of s.writes) lines.push(`      write: ${w}`)
  for (const g of s.gates) lines.push(`      gate:  ${g}`)
  return lines
}

/** The plan as text, one block per route and one for the queue. */
export function renderPlan(p: Plan): string {
  const scaled = p.scale !== 1
  const lines = [`playbook ${p.playbook}${p.description ? ` (${p.description})` : ''}: dry run${scaled ? `, time scale ${p.scale} (playbook clock, wall clock in brackets)` : ''}`]
  lines.push('times assume every gate passes when its hold ends; a gate that holds or fails moves everything after it')
  for (const r of p.routes) {
    lines.push('', `route ${r.route}`)
    for (const s of r.stages) lines.push(...stageLines(s, scaled))
    lines.push(`  done         ${scaled ? `${when(r.doneScaled)} (wall ${when(r.doneWall)})` : when(r.doneWall)}`)
  }
  if (p.queue.length > 0) {
    lines.push('', 'queue (once every route is done)')
    for (const s of p.queue) lines.push(...stageLines(s, scaled))
  }
  if (p.routes.length === 0) lines.push('', 'no routes match the playbook')
  lines.push('', `ends ${scaled ? `${when(p.endScaled)} (wall ${when(p.endWall)})` : when(p.endWall)}`)
  return lines.join('\n')
}
