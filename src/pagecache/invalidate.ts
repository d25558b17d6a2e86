import { CUTOVER_ERR_INVALIDATE_INVALID } from '../errors.js'
import { routeTag } from './page-tags.js'
import type { PageKey, PageStore, TagState } from './store.js'
import { describeValue } from '../describe-value.js'

/** What `app.cutover.invalidate()` takes: at least one of tags, route, keys. */
export interface InvalidateInput {
  /** Purge every page built under any of these tags. */
  tags?: readonly string[]
  /** Purge every page of this route id. */
  route?: string
  /** Delete these pages now: `{ route, hash }` or `"<route>:<hash>"` as logged. */
  keys?: ReadonlyArray<PageKey | string>
  /**
   * Hard purge: purged pages are gone at once. Soft: they may be served
   * stale, within their route's stale window, while one request refreshes.
   * @default true when called while handling a request that is not GET,
   * HEAD or OPTIONS (a write route: its client reads its own write next),
   * false elsewhere (a job, a script, the CLI)
   */
  hard?: boolean
}

export interface InvalidateResult {
  /** New state of each purged tag. */
  tags: Record<string, TagState>
  /** How many of `keys` existed and were deleted. */
  deleted: number
}

function parseKey(k: PageKey | string): PageKey {
  if (typeof k === 'string') {
    const at = k.lastIndexOf(':')
    if (at > 0 && /^[0-9a-f]+$/.test(k.slice(at + 1))) return { route: k.slice(0, at), hash: k.slice(at + 1) }
  } else if (k && typeof k === 'object' && typeof k.route === 'string' && typeof k.hash === 'string' && k.route && /^[0-9a-f]+$/.test(k.hash)) {
    return { route: k.route, hash: k.hash }
  }
  throw new CUTOVER_ERR_INVALIDATE_INVALID('keys as "<route>:<hex hash>" strings or { route, hash } objects', describeValue(k))
}

/** Validates an invalidation request and turns it into tag purges and key deletes. */
export function planInvalidation(input: unknown, hardByDefault = false): { tags: string[]; keys: PageKey[]; hard: boolean } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CUTOVER_ERR_INVALIDATE_INVALID('an object with tags, route or keys', describeValue(input))
  }
  const { tags, route, keys, hard, ...rest } = input as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new CUTOVER_ERR_INVALIDATE_INVALID('only tags, route, keys and hard', describeValue(unknown))
  if (tags === undefined && route === undefined && keys === undefined) {
    throw new CUTOVER_ERR_INVALIDATE_INVALID('at least one of tags, route, keys', describeValue(input))
  }
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t.length > 0 && !t.startsWith('@')))) {
    throw new CUTOVER_ERR_INVALIDATE_INVALID('tags as an array of non-empty strings not starting with "@"', describeValue(tags))
  }
  if (route !== undefined && (typeof route !== 'string' || route.length === 0)) {
    throw new CUTOVER_ERR_INVALIDATE_INVALID('route as a route id', describeValue(route))
  }
  if (keys !== undefined && !Array.isArray(keys)) throw new CUTOVER_ERR_INVALIDATE_INVALID('keys as an array', describeValue(keys))
  if (hard !== undefined && typeof hard !== 'boolean') throw new CUTOVER_ERR_INVALIDATE_INVALID('hard as a boolean', describeValue(hard))
  return {
    tags: [...((tags as string[] | undefined) ?? []), ...(route === undefined ? [] : [routeTag(route)])],
    keys: ((keys as Array<PageKey | string> | undefined) ?? []).map(parseKey),
    hard: hard === undefined ? hardByDefault : hard,
  }
}

/** Purges what `input` names; `hardByDefault` is the purge's kind when the input does not say (see InvalidateInput.hard). */
export async function invalidate(store: PageStore, input: InvalidateInput, hardByDefault = false): Promise<InvalidateResult> {
  const plan = planInvalidation(input, hardByDefault)
  const [tags, deleted] = await Promise.all([
    plan.tags.length > 0 ? store.purgeTags(plan.tags, plan.hard) : Promise.resolve({}),
    plan.keys.length > 0 ? store.delete(plan.keys) : Promise.resolve(0),
  ])
  return { tags, deleted }
}
