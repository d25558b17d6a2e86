// Constraints and segments of a route flag, evaluated per request by
// unleash-client's own constraint code (its public Strategy base class), so
// every operator behaves here as in the Unleash SDK: IN, NOT_IN, STR_*, NUM_*,
// DATE_*, SEMVER_*, REGEX, IN_CIDR, `inverted`, `caseInsensitive`.
//
// The rollout percentage is not part of this: cutover's sticky hash decides it
// (sticky.ts) for constrained and unconstrained flags alike, so an identity's
// canary bucket never depends on whether the flag has constraints.

import { Strategy, type Context } from 'unleash-client'
import { Operator, type Constraint } from 'unleash-client/lib/strategy/strategy.js'
import { CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT } from '../errors.js'
import type { Audience, FlagContext } from './flag-source.js'

// The operators this unleash-client evaluates; any other it would treat as false.
const OPERATORS = new Set<string>(Object.values(Operator))
const NO_PARAMETERS = Object.freeze({})
// With returnValue true, isEnabledWithConstraints is exactly the SDK's constraint check.
const constraintCheck = new Strategy('cutover-constraints', true)

/** One strategy's constraints plus its segments' (`undefined`: a segment the payload lacks). */
type ConstraintList = Array<Constraint | undefined>

export interface AudienceOptions {
  /** The flag's name, for messages. */
  flag: string
  /** Unleash's static context field `appName`, which unleash-client adds to every evaluation. */
  appName: string
  /** The flag's audience before this payload: returned as it is when the constraints are unchanged. */
  previous?: Audience | undefined
  /**
   * Receives each fault as a coded error: constraints that can't be evaluated
   * at all (on build), and evaluations that throw (`log` true for the first).
   */
  report: (err: Error, log: boolean) => void
}

function constraintProblem(c: unknown): string | undefined {
  if (c === null || typeof c !== 'object') return `a constraint is ${JSON.stringify(c)}, not an object`
  const { contextName, operator } = c as { contextName?: unknown; operator?: unknown }
  if (typeof contextName !== 'string' || contextName === '') return `a constraint has no contextName`
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    return `operator ${JSON.stringify(operator)} on "${contextName}" is not one unleash-client evaluates`
  }
  return undefined
}

function listOf(items: unknown, what: string, problems: string[]): unknown[] {
  if (items === undefined || items === null) return []
  if (Array.isArray(items)) return items
  problems.push(`${what} is not an array`)
  return [undefined]
}

/** A strategy's constraints and its segments' constraints, with what makes them unevaluable. */
function constraintsOf(strategy: Record<string, unknown>, problems: string[]): ConstraintList {
  const out: ConstraintList = []
  const add = (c: unknown): void => {
    const problem = constraintProblem(c)
    if (problem) problems.push(problem)
    out.push(problem ? undefined : (c as Constraint))
  }
  for (const c of listOf(strategy.constraints, 'constraints', problems)) add(c)
  for (const segment of listOf(strategy.segments, 'segments', problems)) {
    const constraints = (segment as { constraints?: unknown } | null | undefined)?.constraints
    if (segment === null || typeof segment !== 'object' || !Array.isArray(constraints)) {
      problems.push('a segment the strategy refers to is not in the payload')
      out.push(undefined)
      continue
    }
    for (const c of constraints) add(c)
  }
  return out
}

/**
 * The audience of a flag whose deciding strategies (unleash-layout.ts
 * `decidingStrategies`, segments resolved) have constraints or segments;
 * undefined when one of them has none, since then every request is in.
 * Unevaluable constraints give an audience that admits nobody, reported when
 * they first appear.
 */
export function audienceOf(strategies: Array<Record<string, unknown>>, options: AudienceOptions): Audience | undefined {
  const problems: string[] = []
  const lists = strategies.map((s) => constraintsOf(s, problems))
  if (lists.length === 0 || lists.some((l) => l.length === 0)) return undefined
  const key = JSON.stringify(lists)
  if (options.previous?.key === key) return options.previous
  const flag = JSON.stringify(options.flag)
  if (problems.length > 0) {
    options.report(new CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT(flag, problems.join('; ')), true)
    return Object.freeze({ key, admits: () => false })
  }
  const { appName, report } = options
  let failures = 0
  return Object.freeze({
    key,
    admits(contextOf: () => FlagContext): boolean {
      try {
        const context: Context = { appName, ...contextOf() }
        for (const list of lists) if (constraintCheck.isEnabledWithConstraints(NO_PARAMETERS, context, list.values())) return true
        return false
      } catch (err) {
        failures++
        report(new CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT(flag, (err as Error).message), failures === 1)
        return false
      }
    },
  })
}
