// npm run conformance: cutover's followOrigin mode against the HTTP caching
// suite behind cache-tests.fyi, scored beside the published results of other
// caches. The suite is not part of this repository; see docs/conformance.md.
//
//   CACHE_TESTS_DIR   where the suite is (default ../shared/cache-tests from the repo root)
//   CONFORMANCE_OUT   write the raw results JSON here too (optional)
//   CONFORMANCE_ID    run one test by id and print its exchange (optional)
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildProxyApp } from './proxy-app.js'
import { loadSuite, publishedResults, score, type RunResults } from './score.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const suiteDir = resolve(repoRoot, process.env.CACHE_TESTS_DIR ?? '../shared/cache-tests')

if (!existsSync(join(suiteDir, 'test-engine/cli.mjs'))) {
  process.stderr.write(
    `The cache-tests suite was not found at ${suiteDir}.\n` +
      'Get it with:  git clone https://github.com/http-tests/cache-tests\n' +
      'then run:     CACHE_TESTS_DIR=/path/to/cache-tests npm run conformance\n' +
      '(the server and the CLI need no npm install; Node 20 or later).\n',
  )
  process.exit(2)
}

/** Starts the suite's origin on a free port; resolves to it once it listens. */
async function startOrigin(pidDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['test-engine/server/server.mjs'], {
    cwd: suiteDir,
    env: { ...process.env, npm_config_protocol: 'http', npm_config_port: '0', npm_config_pidfile: join(pidDir, 'origin.pid') },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((done, fail) => {
    let seen = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const m = /Listening on http:\/\/.*:(\d+)\//.exec(seen)
      if (m) done(Number(m[1]))
    })
    child.once('exit', (code) => fail(new Error(`the suite's origin server exited with ${code}`)))
  })
  return { child, port }
}

/** Runs the suite's CLI against the proxy; resolves to its JSON results (or its log, for one test). */
function runSuite(base: string, id: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--no-warnings', 'test-engine/cli.mjs'], {
      cwd: suiteDir,
      // The CLI reads npm's config variables; an empty id means every test.
      env: { ...process.env, npm_config_base: base, npm_config_id: id, npm_package_config_id: id },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', (code) => (code === 0 ? done(out) : fail(new Error(`the suite's CLI exited with ${code}`))))
  })
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n)

async function main(): Promise<void> {
  const pidDir = await mkdtemp(join(tmpdir(), 'cutover-conformance-'))
  const origin = await startOrigin(pidDir)
  const app = await buildProxyApp({ origin: new URL(`http://127.0.0.1:${origin.port}`) })
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    const id = process.env.CONFORMANCE_ID ?? ''
    const out = await runSuite(base, id)
    if (id !== '') {
      process.stdout.write(out)
      return
    }
    const results = JSON.parse(out) as RunResults
    if (process.env.CONFORMANCE_OUT) await writeFile(process.env.CONFORMANCE_OUT, JSON.stringify(results, null, 2))
    report(results, await loadSuite(suiteDir))
  } finally {
    await app.close()
    origin.child.kill('SIGTERM')
    await rm(pidDir, { recursive: true, force: true })
  }
}

async function report(results: RunResults, suite: Awaited<ReturnType<typeof loadSuite>>): Promise<void> {
  const ours = score(suite, results)
  const others = (await publishedResults(suiteDir)).filter((o) => o.type !== 'browser').map((o) => ({ name: o.name, s: score(suite, o.results) }))
  const rows = [{ name: 'cutover (followOrigin)', s: ours }, ...others].sort((a, b) => b.s.passed - a.s.passed)
  const groups = [...ours.byGroup.keys()]
  let text = `\nPassed tests of ${ours.total} (cache-tests.fyi scoring: determineTestResult, dependencies honoured)\n\n`
  text += `${pad('implementation', 24)} ${pad('passed', 7)}\n`
  for (const r of rows) text += `${pad(r.name, 24)} ${pad(r.s.passed, 7)}\n`
  text += `\nBy group (cutover, then the best published result of the group)\n\n`
  for (const g of groups) {
    const mine = ours.byGroup.get(g) ?? { passed: 0, total: 0 }
    const best = Math.max(...others.map((o) => o.s.byGroup.get(g)?.passed ?? 0))
    text += `${pad(g, 22)} ${pad(`${mine.passed}/${mine.total}`, 8)} best published ${best}\n`
  }
  // A check (kind 'check') reports a behaviour the specs leave open: it is never a pass, so it is listed apart.
  const failing = ours.notPassed.filter((f) => f.kind !== 'check')
  const checks = ours.notPassed.filter((f) => f.kind === 'check')
  text += `\nChecks (not scored): ${checks.filter((c) => c.verdict === 'yes').length} yes, ${checks.filter((c) => c.verdict !== 'yes').length} no or not reached\n`
  text += `\nRequired and optimal tests not passed (${failing.length})\n\n`
  for (const f of failing) text += `${pad(f.verdict, 16)} ${pad(f.kind, 9)} ${f.id}: ${f.message}\n`
  process.stdout.write(text)
}

await main()
