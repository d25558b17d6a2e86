// The import rules of src/, checked by `npm run lint` (dependency-cruiser):
// no import cycles, and every area imports only areas below it.
//
//   cli -> demo -> plugin -> modes, playbook -> shadow, report -> meter
//       -> pagecache, queue, db, flags -> headers, render-ids, route-id, duration, peer -> errors
//
// An area may import any area of a lower layer, never one of its own layer or
// above, except the pairs in SIDEWAYS. src/index.ts and the subpath entries
// (src/entries/) sit above everything.

const LAYERS = [
  ['errors.ts'],
  ['headers.ts', 'render-ids.ts', 'route-id.ts', 'duration.ts', 'peer.ts', 'redis-script.ts', 'describe-value.ts'],
  ['pagecache', 'queue', 'db', 'flags'],
  ['meter'],
  ['shadow', 'report'],
  ['modes', 'playbook'],
  ['plugin.ts'],
  ['demo'],
  ['cli'],
]

/** Same-layer imports that are part of the design. */
const SIDEWAYS = [
  ['report', 'shadow'], // reports read what the shadow engine recorded
  ['queue', 'flags'], // the producer gate follows each route's mode
]

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const pathOf = (area) => `^src/${escapeRegExp(area)}${area.endsWith('.ts') ? '$' : '/'}`

const rank = new Map(LAYERS.flatMap((areas, i) => areas.map((a) => [a, i])))
const allAreas = [...rank.keys()]

const layerRules = allAreas.map((from) => {
  const forbidden = allAreas.filter(
    (to) => to !== from && rank.get(to) >= rank.get(from) && !SIDEWAYS.some(([f, t]) => f === from && t === to),
  )
  return {
    name: `layer-${from.replace('.ts', '')}`,
    comment: `${from} may only import layers below it (see .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path: pathOf(from) },
    to: { path: `(${forbidden.map(pathOf).join('|')})` },
  }
})

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle ties modules together that should be layered',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unlisted-area',
      comment: 'every folder and root file of src/ has a place in LAYERS (add it there)',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/entries/'] },
      to: { path: '^src/', pathNot: allAreas.map(pathOf) },
    },
    ...layerRules.filter((rule) => rule.to.path !== '()'),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
  },
}
