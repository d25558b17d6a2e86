import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RouteState } from '../../src/flags/flag-source.js'
import { UnleashAdminWriter } from '../../src/flags/unleash-admin.js'
import { UnleashFlagSource } from '../../src/flags/unleash-source.js'
import { rollback } from '../../src/playbook/control.js'
import type { JournalEvent } from '../../src/playbook/events.js'
import { parsePlaybook } from '../../src/playbook/parse.js'
import { PlaybookRunner } from '../../src/playbook/runner.js'
import { playbookIO, type PlaybookIO } from '../helpers/playbook-io.js'
import { startUnleashServer, type UnleashServer } from '../helpers/unleash-server.js'

// The runner drives a route through the real Unleash Admin API; a client
// (UnleashFlagSource, as every app process runs it) sees each change within
// its refresh interval (plus the second unleash-server takes to publish a
// new revision, see flags-unleash.int.test.ts).

const REFRESH_MS = 500
const DEADLINE_MS = 2 * REFRESH_MS + 2000

const PLAYBOOK = parsePlaybook(
  `version: 1
name: e2e
routes: { match: ["shop.*"] }
stages:
  - { name: shadow, actions: { mode: shadow, shadowRate: 0.25 }, hold: 1h }
  - { name: canary, actions: { mode: canary, percent: 30 }, hold: 1h }
  - { name: "on", actions: { mode: "on" }, hold: 1h }
`,
  'e2e.yaml',
)

let server: UnleashServer
let io: PlaybookIO
let client: UnleashFlagSource
let writer: UnleashAdminWriter
const lags: number[] = []

beforeAll(async () => {
  server = await startUnleashServer()
  io = await playbookIO('pbe2e')
  writer = new UnleashAdminWriter({ url: server.url, token: server.adminToken })
  expect(await writer.createRoutes(['shop.list', 'other.page'])).toEqual(['shop.list', 'other.page'])
  client = new UnleashFlagSource({ url: server.url, token: server.backendToken, refreshIntervalMs: REFRESH_MS, storageProvider: 'memory', logger: { warn() {}, error() {} } })
  await client.start({ timeoutMs: 5000 })
}, 300_000)

afterAll(async () => {
  await client?.close()
  await io?.cleanup()
  await server?.stop()
  if (lags.length > 0) console.warn(`playbook flag writes reached the Unleash client after ${lags.join(', ')} ms (refresh interval ${REFRESH_MS} ms)`)
})

const matches = (state: RouteState, flag: { mode: string; percent?: number; shadowRate?: number }): boolean =>
  state.mode === flag.mode && (flag.percent === undefined || state.percent === flag.percent) && (flag.shadowRate === undefined || state.shadowRate === flag.shadowRate)

/** Waits until the client holds what the write journaled; records how long after the write. */
async function seen(e: JournalEvent): Promise<void> {
  if (e.body.kind !== 'flag_write') return
  const { route, flag } = e.body
  await expect.poll(() => matches(client.state(route), flag), { timeout: DEADLINE_MS, interval: 25 }).toBe(true)
  lags.push(Date.now() - e.wall)
}

describe('playbook runner against a real unleash-server', () => {
  it('moves a route shadow -> canary 30% -> on through the Admin API, and each step reaches a client within its refresh interval', async () => {
    const runner = new PlaybookRunner({ playbook: PLAYBOOK, pool: io.db.pool, writer, timeScale: 3600, actor: 'e2e' })
    await runner.start()
    const writes: string[] = []
    for (let i = 0; i < 200; i++) {
      const { events, state } = await runner.tick()
      for (const e of events) {
        if (e.body.kind === 'flag_write') writes.push(`${e.body.route} ${e.body.flag.mode}`)
        await seen(e)
      }
      if (state.completed) break
      await new Promise((r) => setTimeout(r, 200))
    }
    await runner.stop()
    // The pattern matched the flag of shop.list only (listed through the Admin API).
    expect(writes).toEqual(['shop.list shadow', 'shop.list canary', 'shop.list on'])
    expect(client.state('shop.list')).toMatchObject({ mode: 'on', percent: 100 })
    expect(client.state('other.page').mode).toBe('off')
    expect(lags.every((lag) => lag <= DEADLINE_MS)).toBe(true)

    const rolled = await rollback({ playbook: PLAYBOOK, pool: io.db.pool, by: 'e2e', writer }, 'shop.list')
    const write = rolled.events.find((e) => e.body.kind === 'flag_write') as JournalEvent
    expect(write.body).toMatchObject({ flag: { mode: 'off' }, changed: true })
    await seen(write)
    expect(client.state('shop.list').mode).toBe('off')
  }, 60_000)
})
