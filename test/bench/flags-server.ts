// A server for the flags benchmark, in its own process: the page-cache memory
// hit path without a flag source (`static`), with a FileFlagSource holding the
// route `on` (`flags-on`), and in canary at 99.99% with an identity per request
// (`flags-canary`: one header read and one hash on top).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { FileFlagSource } from '../../src/flags/file-source.js'
import cutover from '../../src/plugin.js'

const mode = process.argv[2] ?? 'static'
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))
const body = { items, padding: '' }
body.padding = 'x'.repeat(Math.max(0, 10 * 1024 - JSON.stringify(body).length))

const app = Fastify({ logger: false })
let flags: FileFlagSource | undefined
if (mode !== 'static') {
  const path = join(mkdtempSync(join(tmpdir(), 'cutover-bench-flags-')), 'flags.yaml')
  const route = mode === 'flags-on' ? 'on' : '{ mode: canary, percent: 99.99 }'
  writeFileSync(path, `routes:\n  bench: ${route}\n`)
  flags = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000 })
  await flags.start()
}
await app.register(cutover, flags ? { flags, identify: (req) => req.headers['x-user'] as string | undefined } : {})
app.get('/page', { config: { cutover: { id: 'bench', ttl: 3600, query: true as const } } }, async () => body)
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('SIGTERM', async () => {
  await app.close()
  await flags?.close()
  process.exit(0)
})
