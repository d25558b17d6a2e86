import { constants as bufferConstants } from 'node:buffer'
import { promisify } from 'node:util'
import { brotliCompress, brotliDecompress, brotliDecompressSync, constants as zlib } from 'node:zlib'
import { CUTOVER_ERR_CACHE_CORRUPT_ENTRY, CUTOVER_ERR_STORE_ARGUMENT_INVALID } from '../errors.js'
import { entryProblem } from './entry-shape.js'
import type { StoredEntry } from './store.js'
import { describeValue } from '../describe-value.js'

/**
 * The byte layout of a stored entry in Redis:
 *
 * | bytes   | what                                                      |
 * | ------- | --------------------------------------------------------- |
 * | 0..3    | magic `CTPG`                                              |
 * | 4       | format version (1)                                        |
 * | 5       | body codec: 0 stored as is, 1 brotli                      |
 * | 6..9    | length of the header JSON, uint32 big-endian              |
 * | 10..    | header JSON (UTF-8): every field but the body, plus `bodyLength` |
 * | rest    | the body, encoded by the codec                            |
 *
 * The body stays bytes end to end (no base64, no string round trip), and the
 * decoded length is checked against `bodyLength` so a truncated value is
 * reported as corrupt rather than served short.
 */

export const ENVELOPE_MAGIC = Buffer.from('CTPG', 'latin1')
export const ENVELOPE_FORMAT = 1
export const CODEC_IDENTITY = 0
export const CODEC_BROTLI = 1
const PREAMBLE = 10
const MAX_LENGTH = bufferConstants.MAX_LENGTH

const compress = promisify(brotliCompress)
const decompress = promisify(brotliDecompress)

/** Brotli quality 4: close to gzip -6 in speed with a better ratio; the store path must stay cheap. */
const BROTLI_QUALITY = 4

/**
 * Bodies up to this size are decompressed on the calling thread. For a page of
 * a few dozen KB that takes tens of microseconds, less than the thread-pool
 * round trip of the async call costs (each one also builds a new zlib stream);
 * larger bodies go to the pool so a big page can't stall the event loop.
 */
export const SYNC_DECOMPRESS_MAX = 64 * 1024

export interface EncodeOptions {
  /** Bodies longer than this many bytes are compressed (when that makes them smaller). */
  compressAbove: number
}

/** Encodes an entry into the envelope. Throws CUTOVER_ERR_STORE_ARGUMENT_INVALID for a malformed entry. */
export async function encodeEntry(entry: StoredEntry, options: EncodeOptions): Promise<Buffer> {
  let header: Record<string, unknown>
  let body: Buffer = Buffer.alloc(0)
  let codec = CODEC_IDENTITY
  if (entry.kind === 'page') {
    if (!Buffer.isBuffer(entry.body)) {
      throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('page body', 'a Buffer', typeof entry.body)
    }
    // `brotli` is the body as a store read it back: the body is what is encoded.
    const { body: raw, brotli: _readForm, ...rest } = entry
    header = { ...rest, bodyLength: raw.length }
    body = raw
    if (raw.length > options.compressAbove) {
      const packed = await compress(raw, {
        params: {
          [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
          [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
        },
      })
      if (packed.length < raw.length) {
        body = packed
        codec = CODEC_BROTLI
      }
    }
  } else if (entry.kind === 'pass') {
    header = { ...entry }
  } else {
    throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('entry kind', '"page" or "pass"', describeValue((entry as { kind?: unknown }).kind))
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const preamble = Buffer.alloc(PREAMBLE)
  ENVELOPE_MAGIC.copy(preamble, 0)
  preamble.writeUInt8(ENVELOPE_FORMAT, 4)
  preamble.writeUInt8(codec, 5)
  preamble.writeUInt32BE(json.length, 6)
  return Buffer.concat([preamble, json, body])
}

export interface DecodeOptions {
  /** Bodies announced longer than this are corrupt, before any decompression (no store writes them). */
  maxBodyBytes: number
}

/**
 * Decodes an envelope. `name` names the entry in errors. Throws
 * CUTOVER_ERR_CACHE_CORRUPT_ENTRY for a value that doesn't decode, and for a
 * well-formed entry that can't be served (see entry-shape.ts).
 */
export async function decodeEntry(raw: Buffer, name: string, options: DecodeOptions): Promise<StoredEntry> {
  const corrupt = (why: string): Error => new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(name, why)
  if (raw.length < PREAMBLE || !raw.subarray(0, 4).equals(ENVELOPE_MAGIC)) throw corrupt('not a cutover page envelope')
  const format = raw.readUInt8(4)
  if (format !== ENVELOPE_FORMAT) throw corrupt(`unknown envelope format ${format}`)
  const codec = raw.readUInt8(5)
  const headerEnd = PREAMBLE + raw.readUInt32BE(6)
  if (headerEnd > raw.length) throw corrupt('truncated header')
  let header: unknown
  try {
    header = JSON.parse(raw.subarray(PREAMBLE, headerEnd).toString('utf8'))
  } catch {
    throw corrupt('header is not JSON')
  }
  const encoded = raw.subarray(headerEnd)
  if (!isRecord(header)) throw corrupt('header is not an object')
  let entry: Record<string, unknown>
  if (header.kind === 'pass') {
    if (encoded.length !== 0) throw corrupt('pass marker with a body')
    const { kind, reason, storedAt, deleteAt } = header
    entry = { kind, reason, storedAt, deleteAt }
  } else if (header.kind === 'page') {
    entry = await pageFrom(header, encoded, codec, { corrupt, maxBodyBytes: options.maxBodyBytes })
  } else {
    throw corrupt(`unknown entry kind ${describeValue(header.kind)}`)
  }
  const problem = entryProblem(entry)
  if (problem !== undefined) throw corrupt(problem)
  return entry as unknown as StoredEntry
}

type Corrupt = (why: string) => Error

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The page's fields from the header (checked by the caller) and its body, decoded and checked against the announced length. */
async function pageFrom(
  header: Record<string, unknown>,
  encoded: Buffer,
  codec: number,
  limits: { corrupt: Corrupt; maxBodyBytes: number },
): Promise<Record<string, unknown>> {
  const { corrupt, maxBodyBytes } = limits
  const expected = header.bodyLength
  if (!Number.isSafeInteger(expected) || (expected as number) < 0) throw corrupt('field bodyLength is not a length')
  if ((expected as number) > maxBodyBytes) throw corrupt(`body of ${expected as number} bytes is over the store's maxBodyBytes (${maxBodyBytes})`)
  let body: Buffer
  if (codec === CODEC_IDENTITY) {
    body = encoded
  } else if (codec === CODEC_BROTLI) {
    body = await inflate(encoded, expected as number, corrupt)
  } else {
    throw corrupt(`unknown body codec ${codec}`)
  }
  if (body.length !== expected) throw corrupt('body length does not match its header')
  const { status, headers, etag, storedAt, staleAt, deleteAt, tags, renderMs, origin } = header
  const page: Record<string, unknown> = { kind: 'page', status, headers, body, etag, storedAt, staleAt, deleteAt, tags, renderMs }
  if (origin !== undefined) page.origin = origin
  // Checked above: these bytes decompress to exactly the body, so they can be served as its br form.
  if (codec === CODEC_BROTLI) page.brotli = encoded
  return page
}

async function inflate(encoded: Buffer, expected: number, corrupt: Corrupt): Promise<Buffer> {
  try {
    // One byte more than the header announces is enough to tell a lying header.
    const maxOutputLength = Math.min(expected + 1, MAX_LENGTH)
    return expected <= SYNC_DECOMPRESS_MAX ? brotliDecompressSync(encoded, { maxOutputLength }) : await decompress(encoded, { maxOutputLength })
  } catch (err) {
    throw corrupt(`body does not decompress (${(err as Error).message})`)
  }
}
