/**
 * What a route id may hold: it names the route in page keys, tags, flag names
 * and reports, so every place that takes one (route config, flags files, the
 * Unleash layout, the queue gate, the CLI) uses this rule. It sits below every
 * area so each can import it.
 */
export const ROUTE_ID_RULE = '1-128 characters of letters, digits, . _ - : /'
export const isRouteId = (value: unknown): value is string => typeof value === 'string' && /^[\w.\-:/]{1,128}$/.test(value)
