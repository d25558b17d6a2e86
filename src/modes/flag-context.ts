// The Unleash context cutover evaluates a constrained route flag against, built
// per request and only for routes whose flag has constraints or segments.

import type { FastifyRequest } from 'fastify'
import { CUTOVER_ERR_OPTIONS_INVALID } from '../errors.js'
import type { FlagContext } from '../flags/flag-source.js'
import { describeValue } from '../describe-value.js'

/** What the plugin option `unleashContext(request)` adds to a request's Unleash context. */
export interface UnleashContextFields {
  /** Unleash's `sessionId` context field. */
  sessionId?: string
  /** Custom context fields by name (Unleash's `properties`), as strings. */
  properties?: Record<string, string>
}

export type UnleashContextOption = (request: FastifyRequest) => UnleashContextFields | undefined

const invalid = (what: string, got: unknown): Error => new CUTOVER_ERR_OPTIONS_INVALID(`unleashContext(request) to return ${what}`, describeValue(got))

function checked(fields: unknown): UnleashContextFields | undefined {
  if (fields === undefined) return undefined
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw invalid('an object { sessionId?, properties? } or undefined', fields)
  const { sessionId, properties, ...rest } = fields as Record<string, unknown>
  const unknownKey = Object.keys(rest)[0]
  // userId comes from identify() and remoteAddress from request.ip, so the canary bucket and the constraints see one identity.
  if (unknownKey !== undefined) throw invalid('only sessionId and properties', unknownKey)
  if (sessionId !== undefined && typeof sessionId !== 'string') throw invalid('sessionId as a string', sessionId)
  if (properties !== undefined) {
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) throw invalid('properties as an object of strings', properties)
    for (const [name, value] of Object.entries(properties)) {
      if (typeof value !== 'string') throw invalid(`properties.${name} as a string`, value)
    }
  }
  return fields as UnleashContextFields
}

/**
 * A request's context: `userId` = the plugin's `identify(request)` (absent for
 * anonymous requests: a page key is not a user), `remoteAddress` = `request.ip`,
 * `sessionId` and `properties` from `unleashContext(request)`. Throws a coded
 * error when `unleashContext` returns something else; the audience catches it
 * and keeps the route off for the request.
 */
export function flagContextOf(
  request: FastifyRequest,
  identify: ((request: FastifyRequest) => string | undefined) | undefined,
  unleashContext: UnleashContextOption | undefined,
): FlagContext {
  const context: FlagContext = { remoteAddress: request.ip }
  const userId = identify?.(request)
  if (userId !== undefined) context.userId = userId
  const fields = checked(unleashContext?.(request))
  if (fields?.sessionId !== undefined) context.sessionId = fields.sessionId
  if (fields?.properties !== undefined) context.properties = fields.properties
  return context
}
