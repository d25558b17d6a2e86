import { Socket } from 'node:net'
import { afterAll, expect } from 'vitest'

// Runs before every file of the unit project (vitest.config.ts). A unit test
// needs no service: a connection to the port of Redis, MySQL/MariaDB or
// PostgreSQL (a default URL in the code, a port written into a test) is refused
// here before a byte is sent, and the file fails naming the test and the port.
// test/test-projects.test.ts catches the same mistake from the imports; this
// catches what the imports do not show.

export const SERVICE_PORTS: ReadonlyMap<number, string> = new Map([
  [6379, 'Redis'],
  [3306, 'MySQL/MariaDB'],
  [5432, 'PostgreSQL'],
])

/** What this file tried, one line per attempt; checked after the file. */
export const attempts: string[] = []

/** The TCP port of a Socket#connect call, whichever of its forms was used. */
export function portOf(args: unknown[]): number | undefined {
  let first = args[0]
  // net.connect() hands Socket#connect its already-normalized [options, listener].
  if (Array.isArray(first)) first = first[0]
  if (typeof first === 'number') return first
  if (typeof first === 'string') return /^\d+$/.test(first) ? Number(first) : undefined
  if (typeof first === 'object' && first !== null && 'port' in first) {
    const port = Number((first as { port: unknown }).port)
    return Number.isInteger(port) ? port : undefined
  }
  return undefined
}

const connect = Socket.prototype.connect
Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
  const port = portOf(args)
  const service = port === undefined ? undefined : SERVICE_PORTS.get(port)
  if (service === undefined) return (connect as (...a: unknown[]) => Socket).apply(this, args)
  const test = expect.getState().currentTestName ?? '(outside a test)'
  attempts.push(`${test}: tried to connect to port ${port} (${service})`)
  const refused = Object.assign(new Error(`a unit test may not connect to ${service} (port ${port}); name the file *.int.test.ts`), { code: 'ECONNREFUSED' })
  process.nextTick(() => this.destroy(refused))
  return this
} as typeof Socket.prototype.connect

afterAll(() => {
  if (attempts.length > 0) {
    throw new Error(
      `This unit test file tried to reach a service; it belongs in the integration project (rename it *.int.test.ts, see docs/contributing.md):\n  ${[...new Set(attempts)].join('\n  ')}`,
    )
  }
})
