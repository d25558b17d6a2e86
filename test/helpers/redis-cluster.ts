import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'

const run = promisify(execFile)

export interface RedisClusterForTest {
  /** Startup nodes for `new Cluster(...)`. */
  nodes: Array<{ host: string; port: number }>
  /** Stops every node and removes their files. */
  stop(): Promise<void>
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A port that is free, as is its cluster bus port (port + 10000). */
async function freePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if (taken.has(port) || taken.has(port + 10_000)) continue
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port
  }
  throw new Error('no free port pair for a Redis Cluster node')
}

async function until(check: () => Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`Redis Cluster for tests: timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Starts a private three-master Redis Cluster on free loopback ports (needs
 * `redis-server` and `redis-cli` on PATH, as the rest of the suite does).
 */
export async function startRedisCluster(): Promise<RedisClusterForTest> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-cluster-'))
  const taken = new Set<number>()
  const ports: number[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort(taken)
    taken.add(port).add(port + 10_000)
    ports.push(port)
  }
  const children: ChildProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGKILL')
          }),
      ),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      )
      children.push(child)
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve)
        child.once('error', (err) => reject(new Error(`cannot start redis-server for the cluster tests (${err.message}); install Redis so redis-server and redis-cli are on PATH`)))
      })
    }
    const ping = (port: number) => async () => {
      const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      r.on('error', () => {}) // refused while the node starts: the poll retries
      try {
        await r.connect()
        return (await r.ping()) === 'PONG'
      } finally {
        r.disconnect()
      }
    }
    for (const port of ports) await until(ping(port), `node ${port} to answer`)
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
    for (const port of ports) {
      await until(async () => {
        const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
        r.on('error', () => {})
        try {
          await r.connect()
          return /cluster_state:ok/.test(await r.cluster('INFO'))
        } finally {
          r.disconnect()
        }
      }, `node ${port} to see the cluster ok`)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop }
}
