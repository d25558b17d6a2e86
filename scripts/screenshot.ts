// `npm run screenshot -- <report.html> [out.png] [--width 1100]`: renders a
// report page in headless Chromium (playwright-core driving the system's
// chromium, CHROMIUM or /usr/bin/chromium) and writes a PNG of the whole
// page; by default docs/images/<report name>.png. Offline: the page is a file.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

const args = process.argv.slice(2)
const widthAt = args.indexOf('--width')
const width = widthAt >= 0 ? Number(args.splice(widthAt, 2)[1]) : 1100
const [page, out] = args
if (!page || !Number.isInteger(width) || width < 200) {
  console.error('usage: npm run screenshot -- <report.html> [out.png] [--width 1100]')
  process.exit(2)
}
const png = resolve(out ?? join('docs', 'images', basename(page).replace(/\.html$/, '') + '.png'))
const profile = mkdtempSync(join(tmpdir(), 'chromium-'))
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width, height: 900 },
})
try {
  const tab = await browser.newPage()
  await tab.goto(pathToFileURL(resolve(page)).href)
  mkdirSync(dirname(png), { recursive: true })
  await tab.screenshot({ path: png, fullPage: true })
  console.log(png)
} finally {
  await browser.close()
  rmSync(profile, { recursive: true, force: true })
}
