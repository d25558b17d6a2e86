import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect, createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { uniqueSuffix } from './services.js'

// A real Unleash server for end-to-end tests: unleash-server 7.5.x (the newest
// line that runs on Node 20), installed outside the project's dependency tree
// into .unleash-server/ on first use, on the local PostgreSQL.

export const UNLEASH_SERVER_VERSION = '7.5'
const INSTALL_DIR = resolve(import.meta.dirname, '../../.unleash-server')
export const PG_URL = process.env.CUTOVER_E2E_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'

export interface UnleashServer {
  /** API URL for clients and the admin writer, e.g. http://127.0.0.1:4242/api */
  url: string
  adminToken: string
  backendToken: string
  stop(): Promise<void>
}

/** Fails, saying how to start it, when PostgreSQL does not accept a connection. */
export async function checkPostgres(): Promise<void> {
  const url = new URL(PG_URL)
  const port = Number(url.port || 5432)
  await new Promise<void>((ok, fail) => {
    const socket = connect({ host: url.hostname, port })
    socket.setTimeout(2000)
    socket.once('connect', () => (socket.end(), ok()))
    socket.once('timeout', () => (socket.destroy(), fail(new Error('connect timeout'))))
    socket.once('error', fail)
  }).catch((err: Error) => {
    throw new Error(
      `PostgreSQL is not reachable at ${url.hostname}:${port} (${err.message}); the Unleash end-to-end test needs it. Start it with:\n  ${START_POSTGRES}\nor point CUTOVER_E2E_PG_URL at one (trust auth, a user allowed to CREATE DATABASE).`,
    )
  })
}

/** Installs unleash-server into .unleash-server/ unless it is there; returns the server script. */
export async function ensureUnleashServer(): Promise<string> {
  const script = join(INSTALL_DIR, 'node_modules/unleash-server/dist/server.js')
  if (existsSync(script)) return script
  mkdirSync(INSTALL_DIR, { recursive: true })
  const manifest = join(INSTALL_DIR, 'package.json')
  if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify({ name: 'unleash-server-e2e', private: true }) + '\n')
  try {
    await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund', `unleash-server@${UNLEASH_SERVER_VERSION}`], {
      cwd: INSTALL_DIR,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (err) {
    throw new Error(`installing unleash-server@${UNLEASH_SERVER_VERSION} into .unleash-server/ failed (needs the npm registry): ${(err as Error).message}`)
  }
  return script
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
}

async function admin<T>(run: (client: PgClient) => Promise<T>): Promise<T> {
  const pg = createRequire(join(INSTALL_DIR, 'package.json'))('pg') as { Client: new (o: { connectionString: string }) => PgClient }
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Starts unleash-server on its own new database; stop() ends it and drops the database. */
export async function startUnleashServer(): Promise<UnleashServer> {
  await checkPostgres()
  const script = await ensureUnleashServer()
  const database = `cutover_e2e_${uniqueSuffix()}`.replace(/[^a-z0-9_]/gi, '_')
  await admin((c) => c.query(`CREATE DATABASE ${database}`))
  const dbUrl = new URL(PG_URL)
  dbUrl.pathname = `/${database}`
  const port = await freePort()
  const adminToken = `*:*.admin${uniqueSuffix()}`
  const backendToken = `default:development.backend${uniqueSuffix()}`
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH,
      TZ: 'UTC',
      DATABASE_URL: dbUrl.toString(),
      DATABASE_SSL: 'false',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      INIT_ADMIN_API_TOKENS: adminToken,
      INIT_BACKEND_API_TOKENS: backendToken,
      LOG_LEVEL: 'error',
      CHECK_VERSION: 'false',
      SEND_TELEMETRY: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {})
  }
  const until = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`unleash-server exited with ${child.exitCode} before it was healthy:\n${stderr}`)
    }
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > until) {
      await stop()
      throw new Error(`unleash-server did not become healthy within 90s:\n${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { url: `http://127.0.0.1:${port}/api`, adminToken, backendToken, stop }
}
