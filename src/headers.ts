/**
 * Every HTTP header cutover itself reads or writes, from one place.
 *
 * Request headers cutover puts on its own renders (each acts only with this
 * process's random token, compared in constant time, so no client can forge
 * one):
 */

/** On a background refresh render (stale-while-revalidate, early refresh): the process's token. */
export const REFRESH_HEADER = 'x-cutover-refresh'
/** On a shadow render: the process's token. Such a render is never stored. */
export const SHADOW_HEADER = 'x-cutover-shadow'
/** On a shadow render, `legacy` asks for the legacy path (the shadow engine's second control run). */
export const SHADOW_PATH_HEADER = 'x-cutover-shadow-path'
/** Names a loopback shadow render, so the server side can hand its timing and meter counts back (read only with the token). */
export const RENDER_ID_HEADER = 'x-cutover-render'

/**
 * cutover's own request headers: never forwarded from a user's request into a
 * render, never replayed by a background refresh.
 */
export const RENDER_HEADERS: readonly string[] = Object.freeze([REFRESH_HEADER, SHADOW_HEADER, SHADOW_PATH_HEADER, RENDER_ID_HEADER])

// Response headers:

/** Which path answered an opted-in route: `page` or `legacy`. */
export const PATH_HEADER = 'cutover-path'
/** RFC 9211 Cache-Status; cutover's member is named `cutover`. */
export const CACHE_STATUS_HEADER = 'cache-status'
