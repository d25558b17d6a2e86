import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import mysql from 'mysql2/promise'
import { chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { runCli } from '../../src/cli/run.js'
import { deleteKeys, openDemoRedis } from '../../src/demo/services.js'
import { MYSQL_URL, REDIS_URL, uniqueSuffix } from '../helpers/services.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = resolve('test-artifacts')

/**
 * playbooks/week.yaml for a half-minute run on a shared test machine: gates
 * judge after 10 samples (the week's 200 need minutes of traffic), no window
 * (no weekend to wait through), and a page p99 may be 10x the legacy one: the
 * p99 of a dozen requests on a busy machine is one slow request. Every stage,
 * action and other gate is the shipped file's.
 */
function shortWeek(dir: string): string {
  const doc = parseDocument(readFileSync('playbooks/week.yaml', 'utf8'))
  doc.set('minSamples', 10)
  doc.delete('window')
  doc.setIn(['stages', 1, 'gates', 'leaks', 'minSamples'], 5)
  for (const i of [2, 3, 4]) doc.setIn(['stages', i, 'gates', 'p99', 'maxRatio'], 10)
  const file = join(dir, 'week-short.yaml')
  writeFileSync(file, doc.toString())
  return file
}

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return
  try {
    execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium', { stdio: 'inherit', timeout: 600_000 })
  } catch (err) {
    throw new Error(`${CHROMIUM} is missing and could not be installed (${(err as Error).message}). Install it with:\n  apt-get update && apt-get install -y chromium`)
  }
}

async function inBrowser<T>(width: number, work: (page: Page, seen: { requests: string[]; errors: string[] }) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width, height: 900 },
  })
  try {
    const page = await browser.newPage()
    const seen = { requests: [] as string[], errors: [] as string[] }
    page.on('request', (r) => seen.requests.push(r.url()))
    page.on('console', (m) => void (m.type() === 'error' && seen.errors.push(m.text())))
    page.on('pageerror', (e) => seen.errors.push(e.message))
    return await work(page, seen)
  } finally {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

describe('npm run demo, shortened: the week with a faulty route, and its timeline page in a browser', () => {
  const database = `cutover_test_week_${uniqueSuffix()}`
  const prefix = `cw-${uniqueSuffix()}`
  let out: string
  // In this process (not a child), so the coverage counts the demo.
  const run = { code: -1, stdout: '', stderr: '' }
  let html: string

  beforeAll(async () => {
    ensureChromium()
    out = mkdtempSync(join(tmpdir(), 'demo-week-'))
    run.code = await runCli(
      ['demo', 'week', '--playbook', shortWeek(out), '--duration', '30', '--rate', '120', '--instances', '2', '--database', database, '--prefix', prefix, '--out', out,
        '--mysql-url', MYSQL_URL.replace(/\/[^/]*$/, ''), '--redis-url', REDIS_URL],
      { out: (l) => (run.stdout += l + '\n'), err: (l) => (run.stderr += l + '\n'), isTTY: false, env: {} },
    )
    const file = readdirSync(out).find((f) => f.endsWith('.html'))
    html = file ? join(out, file) : ''
  }, 300_000)

  afterAll(async () => {
    rmSync(out, { recursive: true, force: true })
    // The run's queue (a rolled-back route keeps enqueueing), pages, object cache and meter.
    const redis = await openDemoRedis(REDIS_URL)
    try {
      await deleteKeys(redis, `${prefix}:v1:*`)
      await deleteKeys(redis, `${prefix}-meter:v1:*`)
    } finally {
      redis.disconnect()
    }
    const admin = await mysql.createConnection({ uri: MYSQL_URL })
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  })

  it('plays the story as scripted and exits 0', () => {
    expect(run.stdout).toMatch(/products\.list: gate FAILED in shadow \(failure 1\): .*logicMismatches/)
    expect(run.stdout).toMatch(/products\.list: ROLLED BACK to off/)
    expect(run.stdout).not.toMatch(/^FAIL /m)
    expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0)
    const json = JSON.parse(readFileSync(html.replace(/\.html$/, '.json'), 'utf8')) as { story: Array<{ ok: boolean }>; drained: number; before: { comSelectPerRequest: number } }
    expect(json.story.every((c) => c.ok)).toBe(true)
    expect(json.drained).toBeGreaterThan(0)
    expect(json.before.comSelectPerRequest).toBeGreaterThan(0)
  })

  it('the page renders offline with data in its charts and no console error', { timeout: 120_000 }, async () => {
    await inBrowser(1200, async (page, seen) => {
      await page.goto(pathToFileURL(html).href)
      expect(await page.locator('#before-after').innerText()).toContain('DB calls/request (MySQL Com_select)')
      for (const route of ['products.list', 'categories.products', 'products.get']) {
        const section = page.locator(`#route-${route.replace('.', '\\.')}`)
        const points = await section.locator('svg.chart').evaluateAll((svgs) => svgs.map((s) => Number(s.getAttribute('data-points'))))
        // DB calls and latency have data on every route.
        expect(points[0], route).toBeGreaterThan(5)
        expect(points[1], route).toBeGreaterThan(5)
        expect(await section.locator('svg.strip g.stage').count(), route).toBeGreaterThan(1)
      }
      expect(Number(await page.locator('#queue svg.chart').first().getAttribute('data-points'))).toBeGreaterThan(5)
      // The failed shadow gate links to the logic finding, which shows a diff.
      const link = page.locator('#route-products\\.list svg.strip a').first()
      expect(await link.getAttribute('href')).toBe('#finding-logic')
      expect(await page.locator('#finding-logic pre.diff .add').count()).toBeGreaterThan(0)
      expect(seen.errors).toEqual([])
      expect(seen.requests).toEqual([pathToFileURL(html).href])
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'week-report.png'), fullPage: true })
    })
  })

  it('is readable at phone width: nothing wider than the screen, text at a readable size', { timeout: 120_000 }, async () => {
    await inBrowser(375, async (page, seen) => {
      await page.goto(pathToFileURL(html).href)
      const widths = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number }; body: unknown } }).document
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } }).getComputedStyle(d.body)
        return { scroll: d.documentElement.scrollWidth, client: d.documentElement.clientWidth, font: parseFloat(style.fontSize) }
      })
      expect(widths.scroll).toBeLessThanOrEqual(widths.client)
      expect(widths.font).toBeGreaterThanOrEqual(14)
      const svgWidth = await page.locator('svg.chart').first().evaluate((s) => (s as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width)
      expect(svgWidth).toBeLessThanOrEqual(375)
      expect(seen.errors).toEqual([])
    })
  })
})
