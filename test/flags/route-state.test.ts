import { describe, expect, it } from 'vitest'
import { parseFlagsDocument, serializeFlagsDocument } from '../../src/flags/flags-document.js'
import { killedByEnv } from '../../src/flags/kill-switch.js'
import { toRouteState } from '../../src/flags/route-state.js'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'
import { ROUTE_ID_RULE } from '../../src/route-id.js'

describe('toRouteState', () => {
  it('applies defaults per mode', () => {
    expect(toRouteState('r', 'on')).toEqual({ mode: 'on', percent: 100, shadowRate: 0, groupId: 'r' })
    expect(toRouteState('r', 'shadow')).toEqual({ mode: 'shadow', percent: 0, shadowRate: 0.1, groupId: 'r' })
    expect(Object.isFrozen(toRouteState('r', 'off'))).toBe(true)
  })

  it.each([
    ['half', /mode to be one of off, shadow, canary, on, got "half"/],
    [{ mode: 'canary' }, /percent \(0\.\.100\) in canary mode/],
    [{ mode: 'canary', percent: '10' }, /percent to be a number from 0 to 100, got "10"/],
    [{ mode: 'shadow', shadowRate: 2 }, /shadowRate to be a number from 0 to 1, got 2/],
    [{ mode: 'on', pct: 1 }, /keys to be/],
    [42, /a mode or an object/],
  ])('rejects %j with a coded error', (input, message) => {
    expect(() => toRouteState('r', input)).toThrow(message)
    try {
      toRouteState('r', input)
    } catch (err) {
      expect((err as { code: string }).code).toBe('CUTOVER_ERR_FLAGS_STATE_INVALID')
    }
  })

  it('takes exactly the route ids a route config takes (one rule), and refuses the others', () => {
    for (const id of ['products.list', 'a', 'GET:/api/x-y_z', 'x'.repeat(128)]) {
      expect(() => resolveRouteConfig('(test)', { id, ttl: 1 }), id).not.toThrow()
      expect(toRouteState(id, 'on').mode, id).toBe('on')
    }
    for (const id of ['bad id{', '', 'x'.repeat(129), 'a b', 'é', 'a#b']) {
      expect(() => resolveRouteConfig('(test)', { id, ttl: 1 }), id).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_ROUTE_CONFIG_INVALID' }))
      expect(() => toRouteState(id, 'on'), id).toThrow(
        expect.objectContaining({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID', message: expect.stringContaining(`id to be ${ROUTE_ID_RULE}`) }),
      )
    }
  })
})

describe('flags document', () => {
  it('parses YAML and JSON and writes back what it read', () => {
    const yaml = 'kill: false\nroutes:\n  a: on\n  b: { mode: canary, percent: 12.5 }\n  c: { mode: shadow, shadowRate: 0 }\n'
    const doc = parseFlagsDocument(yaml, 'flags.yaml')
    expect(doc.routes.get('b')).toMatchObject({ mode: 'canary', percent: 12.5 })
    for (const path of ['x.yaml', 'x.json']) {
      expect(parseFlagsDocument(serializeFlagsDocument(doc, path), path)).toEqual(doc)
    }
    // Every route off is said explicitly; a file holding no document is refused (a truncated file looks the same).
    expect(parseFlagsDocument('routes: {}\n', 'none.yaml')).toEqual({ kill: false, routes: new Map() })
    expect(parseFlagsDocument('{}', 'none.json')).toEqual({ kill: false, routes: new Map() })
    for (const [text, path] of [['', 'empty.yaml'], ['  \n# only a comment\n', 'empty.yaml'], ['~\n', 'empty.yaml'], ['\n', 'empty.json'], ['null', 'empty.json']]) {
      expect(() => parseFlagsDocument(text as string, path as string), JSON.stringify(text)).toThrow(
        expect.objectContaining({ code: 'CUTOVER_ERR_FLAGS_FILE_EMPTY', message: expect.stringContaining(path as string) }),
      )
    }
  })

  it.each([
    ['routes: [', 'f.yaml', /f\.yaml/],
    ['{"routes": 1}', 'f.json', /"routes" to map/],
    ['kill: maybe', 'f.yaml', /"kill" to be true or false/],
    ['route: {}', 'f.yaml', /unknown top-level key "route"/],
    ['routes: { a: sideways }', 'f.yaml', /mode to be one of/],
  ])('rejects %j', (text, path, message) => {
    expect(() => parseFlagsDocument(text, path)).toThrow(message)
  })
})

describe('CUTOVER_KILL', () => {
  it('is on for 1/true/yes/on and off otherwise', () => {
    for (const v of ['1', 'true', 'YES', ' on ']) expect(killedByEnv({ CUTOVER_KILL: v })).toBe(true)
    for (const v of ['0', '', 'false', 'no']) expect(killedByEnv({ CUTOVER_KILL: v })).toBe(false)
    expect(killedByEnv({})).toBe(false)
  })
})
