import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadPlaybook } from '../../src/playbook/parse.js'
import { plan, renderPlan } from '../../src/playbook/plan.js'
import { resolveRoutes } from '../../src/playbook/routes.js'

const WEEK = join(import.meta.dirname, '../../playbooks/week.yaml')
const MONDAY_9 = Date.UTC(2024, 5, 3, 9)
const iso = (t: number): string => new Date(t).toISOString().slice(0, 16)

describe('plan (dry run)', () => {
  it('the week: each route\'s stages inside the window, then the queue, and the flag writes', async () => {
    const week = await loadPlaybook(WEEK)
    const p = plan({ playbook: week, routes: ['products.list', 'products.show'], start: MONDAY_9 })
    const list = p.routes[0]
    expect(list?.stages.map((s) => `${s.stage} ${iso(s.enterWall)}`)).toEqual([
      'measure 2024-06-03T09:00', 'shadow 2024-06-04T09:00', 'canary-10 2024-06-05T09:00', 'canary-50 2024-06-06T09:00', 'on 2024-06-07T09:00',
    ])
    expect(list?.stages[2]?.writes).toEqual(['flag products.list -> canary 10%'])
    expect(list?.stages[0]?.writes).toEqual(['flag products.list -> off', 'queue gate products.list -> dedupe'])
    expect(list?.stages[4]?.writes).toEqual(['flag products.list -> on', 'queue gate products.list -> drop'])
    expect(list?.stages[1]?.gates).toEqual(['shadow match rate >= 99%, >= 200 samples', 'logic mismatches <= 0, >= 200 samples', 'leaks <= 0, >= 50 samples'])
    // Three at a time: both routes move together. The queue starts after the weekend.
    expect(p.routes[1]?.stages[0]?.enterWall).toBe(MONDAY_9)
    expect(p.queue.map((s) => `${s.stage} ${iso(s.enterWall)} ${s.writes.join('; ')}`)).toEqual([
      'drain 2024-06-10T09:00 drain from 200/s to 1000/s over 7200s (wall)',
      'retire 2024-06-11T09:00 retire the queue once quiet for 3600s (wall)',
    ])
    expect(renderPlan(p)).toContain('  canary-10    from Wed 2024-06-05 09:00Z, hold 1d, advances mon,tue,wed,thu,fri 09:00-16:00 UTC')
  })

  it('with --time-scale the playbook clock runs faster: a week in minutes of wall time', async () => {
    const week = await loadPlaybook(WEEK)
    const p = plan({ playbook: week, routes: ['a'], start: MONDAY_9, scale: 3360 })
    expect(p.endScaled - MONDAY_9).toBe(8 * 86_400_000)
    expect(Math.round((p.endWall - MONDAY_9) / 1000)).toBe(206)
    expect(p.queue[0]?.writes).toEqual(['drain from 200/s to 1000/s over 2s (wall)'])
    expect(renderPlan(p)).toMatch(/time scale 3360/)
  })

  it('one route after another with concurrency 1', async () => {
    const week = await loadPlaybook(WEEK)
    const p = plan({ playbook: { ...week, routes: { ...week.routes, concurrency: 1 } }, routes: ['a', 'b'], start: MONDAY_9 })
    expect(iso(p.routes[1]?.stages[0]?.enterWall ?? 0)).toBe('2024-06-10T09:00')
  })
})

describe('route patterns', () => {
  it('ids in order, pattern matches sorted, each once, exclusions out', () => {
    const known = ['products.show', 'orders.list', 'products.list', 'products.admin']
    expect(resolveRoutes({ match: ['orders.list', 'products.*', 'orders.*'], exclude: ['*.admin'] }, known)).toEqual(['orders.list', 'products.list', 'products.show'])
    expect(resolveRoutes({ match: ['p?.x', 'new.route'], exclude: [] }, ['pa.x', 'pb.x', 'pbb.x'])).toEqual(['pa.x', 'pb.x', 'new.route'])
  })
})
