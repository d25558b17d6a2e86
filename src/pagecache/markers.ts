/** Header carrying the per-process token on cutover's own background renders. */
export const REFRESH_HEADER = 'x-cutover-refresh'
/** Header carrying the per-process token on shadow renders (never stored). */
export const SHADOW_HEADER = 'x-cutover-shadow'
