// Which routes a playbook moves: ids as listed, patterns (`*`, `?`) matched
// against the routes the flag target knows, in the playbook's order.

export function isPattern(entry: string): boolean {
  return /[*?]/.test(entry)
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

/**
 * The route ids, in order: each `match` entry in turn (a pattern's matches
 * sorted), each id once, without those `exclude` names. Pure.
 */
export function resolveRoutes(routes: { match: readonly string[]; exclude: readonly string[] }, known: readonly string[]): string[] {
  const excluded = routes.exclude.map(globToRegExp)
  const out: string[] = []
  const add = (id: string): void => {
    if (!out.includes(id) && !excluded.some((re) => re.test(id))) out.push(id)
  }
  for (const entry of routes.match) {
    if (!isPattern(entry)) {
      add(entry)
      continue
    }
    const re = globToRegExp(entry)
    for (const id of [...known].filter((k) => re.test(k)).sort()) add(id)
  }
  return out
}

/** Whether any entry needs the flag target's list of routes. */
export function needsKnownRoutes(routes: { match: readonly string[] }): boolean {
  return routes.match.some(isPattern)
}
