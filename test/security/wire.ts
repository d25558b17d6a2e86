import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'

/**
 * Raw HTTP/1.1 over a real socket, for what `inject` can't send: request
 * targets it would parse and rebuild (`#`, `//host`, absolute-form, raw
 * `<`), repeated headers, header names in any case.
 */

/** Starts the app on a loopback port and returns the port. */
export async function listening(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Writes the request text as is and resolves to the whole response text (the request asks for Connection: close). */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: the request asks the server to close after answering.
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let out = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (out += chunk))
    socket.on('end', () => resolve(out))
    socket.on('error', reject)
  })
}

export interface RawResponse {
  status: number
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>
  body: string
}

/** Sends `GET <target>` with the given header lines (name and value as written) and parses the answer. */
export async function rawGet(port: number, target: string, headerLines: Array<[string, string]> = [['Host', 'shop.example']]): Promise<RawResponse> {
  const lines = [`GET ${target} HTTP/1.1`, ...headerLines.map(([n, v]) => `${n}: ${v}`), 'Connection: close', '', '']
  const text = await rawExchange(port, lines.join('\r\n'))
  const split = text.indexOf('\r\n\r\n')
  const [statusLine = '', ...fields] = text.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const field of fields) {
    const at = field.indexOf(':')
    const name = field.slice(0, at).trim().toLowerCase()
    const value = field.slice(at + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let body = text.slice(split + 4)
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body)
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

function unchunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const eol = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, eol), 16)
    if (!(size > 0)) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 2 + size + 2)
  }
}
