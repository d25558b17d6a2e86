import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { migrate } from '../../src/db/migrate.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { SHADOW_HEADER, SHADOW_PATH_HEADER } from '../../src/headers.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter } from '../../src/shadow/writer.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = resolve('test-artifacts')

/** Debian's chromium; installed here when missing (needs root and the Debian mirror). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return
  try {
    execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium', { stdio: 'inherit', timeout: 600_000 })
  } catch (err) {
    throw new Error(`${CHROMIUM} is missing and could not be installed (${(err as Error).message}). Install it with:\n  apt-get update && apt-get install -y chromium`)
  }
}

describe('shadow report in a browser', () => {
  let db: MysqlForTest
  let app: FastifyInstance
  let out: string

  beforeAll(async () => {
    ensureChromium()
    db = await mysqlForTest('e2e')
    await migrate({ url: db.url })
    out = mkdtempSync(join(tmpdir(), 'shadow-e2e-'))
    // A small app whose page path rounds prices (a logic change) and stamps each render (noise).
    const token = 'e2e-' + Math.random().toString(36).slice(2)
    let tick = 0
    app = Fastify()
    app.decorate('cutover', { shadowToken: token } as unknown as FastifyInstance['cutover'])
    const products = [{ id: 1, name: 'kettle', price: 24.99 }, { id: 2, name: 'mug', price: 7.5 }]
    app.get('/api/products', async (req) => {
      const page = req.headers[SHADOW_HEADER] === token && req.headers[SHADOW_PATH_HEADER] !== 'legacy'
      return { items: products.map((p) => ({ ...p, price: page ? Math.round(p.price) : p.price })), renderedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString() }
    })
    app.get('/api/categories', async () => ({ categories: ['kitchen', 'garden'] }))
    await app.ready()
    const writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const runner = createShadowRunner({ sink: writer, source: injectCandidateSource(), secondaryRate: 1 })
    for (const [routeId, url] of [['products.list', '/api/products?page=1'], ['categories.list', '/api/categories']] as const) {
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ method: 'GET', url, headers: { accept: 'application/json' } })
        await runner.handler({
          app,
          request: { routeId, method: 'GET', url, headers: { accept: 'application/json' } },
          control: { status: res.statusCode, headers: res.headers, body: res.rawPayload, durationMs: 5 },
          signal: new AbortController().signal,
        })
      }
    }
    await writer.close()
  }, 660_000)

  afterAll(async () => {
    await app?.close()
    rmSync(out, { recursive: true, force: true })
    await db?.cleanup()
  })

  it('shows the routes, a coloured diff and the verdict', async () => {
    const lines: string[] = []
    const code = await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--format', 'html'], { out: (l) => lines.push(l), err: () => {}, isTTY: false, env: {} })
    expect(code).toBe(0)
    const html = join(out, readdirSync(out).find((f) => f.endsWith('.html'))!)
    const profile = mkdtempSync(join(tmpdir(), 'chromium-'))
    // A fresh profile directory (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1200, height: 1600 },
    })
    try {
      const page = await browser.newPage()
      const requests: string[] = []
      page.on('request', (r) => requests.push(r.url()))
      await page.goto(pathToFileURL(html).href)
      await expect.poll(() => page.locator('#summary').innerText()).toContain('products.list')
      expect(await page.locator('#summary').innerText()).toContain('categories.list')
      const products = page.locator('#route-products\\.list')
      expect(await products.locator('.verdict').innerText()).toBe('not ready')
      expect(await products.innerText()).toMatch(/logic\s+fail\s+3 logic mismatches/)
      const added = products.locator('pre.diff .add').filter({ hasText: '"price": 25' }).first()
      expect(await added.isVisible()).toBe(true)
      // Runs in the page, where getComputedStyle exists (the test's tsconfig has no DOM lib).
      const color = await added.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color)
      expect(color).toBe('rgb(126, 231, 135)')
      expect(await products.locator('code.curl').first().innerText()).toContain("curl -sS 'http://localhost:3000/api/products?page=1'")
      expect(await products.locator('ul.tree').first().innerText()).toMatch(/renderedAt – noise 3/)
      // Self-contained: the page loads nothing but itself.
      expect(requests).toEqual([pathToFileURL(html).href])
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'shadow-report.png'), fullPage: true })
    } finally {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
    }
  })
})
