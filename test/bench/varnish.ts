// Varnish in front of a bench server, as the outside reference for a page
// cache's hit path: its default configuration (caches a 200 without cookies
// for its default TTL of 120 s), pinned to the servers' CPU.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SERVER_CPU, type BenchServer } from './harness.js'

/** The varnishd binary, or undefined where it is not installed. */
export function findVarnishd(): string | undefined {
  for (const candidate of ['varnishd', '/usr/sbin/varnishd']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' }).trim() || undefined
    } catch {
      // next
    }
  }
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address ? address.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** Starts varnishd in the foreground, in front of `backend` (http://host:port). */
export async function startVarnish(varnishd: string, backend: string): Promise<BenchServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-varnish-'))
  const { host } = new URL(backend)
  const args = ['-F', '-j', 'none', '-n', dir, '-a', `127.0.0.1:${port}`, '-b', host, '-s', 'malloc,64m']
  const child = spawn('taskset', ['-c', String(SERVER_CPU), varnishd, ...args], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        rmSync(dir, { recursive: true, force: true })
        resolve()
      }
      if (child.exitCode !== null) return done()
      child.once('exit', done)
      child.kill('SIGTERM')
    })
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break
    try {
      await fetch(url, { signal: AbortSignal.timeout(500) })
      return { url, pid: child.pid!, stop }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await stop()
  throw new Error(`varnishd did not start on ${url}`)
}
