import {
  CUTOVER_ERR_FLAGS_ADMIN_AUTH,
  CUTOVER_ERR_FLAGS_ADMIN_CONFLICT,
  CUTOVER_ERR_FLAGS_ADMIN_FAILED,
  CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND,
  CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT,
  CUTOVER_ERR_FLAGS_OPTIONS_INVALID,
} from '../errors.js'
import type { FlagAdminWriter } from './admin-writer.js'
import type { RouteState } from './flag-source.js'
import { toRouteState, type RouteFlagInput } from './route-state.js'
import { checkLayoutRouteId, flagNameFor, killFlagNameFor, routeStateFromFeature, strategyFor } from './unleash-layout.js'

export interface UnleashAdminWriterOptions {
  /** Unleash API URL, e.g. `http://unleash:4242/api` (the same as the flag source's). */
  url: string
  /** An admin API token (or a personal access token). */
  token: string
  /** @default 'default' */
  project?: string
  /** The environment whose strategies and enabled state are written. @default 'development' */
  environment?: string
  /** @default 'cutover.' */
  flagPrefix?: string
  /** Per-call timeout. @default 5000 */
  timeoutMs?: number
}

interface AdminStrategy {
  id: string
  name: string
  parameters?: Record<string, unknown>
  disabled?: boolean
}
interface AdminFeature {
  name: string
  environments?: Array<{ name: string; enabled: boolean; strategies?: AdminStrategy[] }>
}

/**
 * Route flags through the Unleash Admin API (plain HTTP via fetch), laid out
 * as unleash-layout.ts documents. Rollout changes go through the strategy
 * PATCH so the strategy id, its groupId and anything a person added stay.
 */
export class UnleashAdminWriter implements FlagAdminWriter {
  readonly kind = 'unleash'
  readonly #api: string
  readonly #token: string
  readonly #project: string
  readonly #env: string
  readonly #prefix: string
  readonly #timeoutMs: number

  constructor(options: UnleashAdminWriterOptions) {
    for (const key of ['url', 'token'] as const) {
      if (typeof options?.[key] !== 'string' || options[key] === '') {
        throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID(`${key} to be a non-empty string`, JSON.stringify(options?.[key]))
      }
    }
    const timeout = options.timeoutMs ?? 5000
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('timeoutMs to be a positive integer (milliseconds)', JSON.stringify(timeout))
    }
    this.#api = options.url.replace(/\/+$/, '')
    this.#token = options.token
    this.#project = options.project ?? 'default'
    this.#env = options.environment ?? 'development'
    this.#prefix = options.flagPrefix ?? 'cutover.'
    this.#timeoutMs = timeout
  }

  async createRoutes(routeIds: readonly string[]): Promise<string[]> {
    // Every id is checked before the first call, so a bad one leaves nothing half created.
    for (const routeId of routeIds) checkLayoutRouteId(routeId, this.#prefix)
    const created: string[] = []
    for (const routeId of routeIds) {
      const name = flagNameFor(this.#prefix, routeId)
      const { feature, created: isNew } = await this.#ensureFlag(name, 'release', `cutover route ${routeId}`)
      if (!this.#rolloutOf(feature, name)) {
        await this.#call('POST', `${this.#featurePath(name)}/environments/${enc(this.#env)}/strategies`, strategyFor(toRouteState(routeId, 'off', name)))
      }
      if (isNew) created.push(routeId)
    }
    await this.#ensureKillFlag()
    return created
  }

  async setRoute(routeId: string, input: RouteFlagInput): Promise<RouteState> {
    checkLayoutRouteId(routeId, this.#prefix)
    const name = flagNameFor(this.#prefix, routeId)
    toRouteState(routeId, input, name) // validate before any call
    const { feature } = await this.#ensureFlag(name, 'release', `cutover route ${routeId}`)
    const existing = this.#rolloutOf(feature, name)
    const groupId = input.groupId ?? (typeof existing?.parameters?.groupId === 'string' && existing.parameters.groupId !== '' ? existing.parameters.groupId : name)
    const state = toRouteState(routeId, { ...input, groupId }, name)
    const wanted = strategyFor(state)
    const envPath = `${this.#featurePath(name)}/environments/${enc(this.#env)}`
    if (state.mode === 'off') await this.#call('POST', `${envPath}/off`)
    if (existing) {
      const ops: object[] = [
        { op: 'replace', path: '/parameters/rollout', value: wanted.parameters.rollout },
        { op: 'add', path: '/variants', value: wanted.variants },
      ]
      if (existing.parameters?.groupId !== groupId) ops.push({ op: 'add', path: '/parameters/groupId', value: groupId })
      if (existing.parameters?.stickiness === undefined) ops.push({ op: 'add', path: '/parameters/stickiness', value: 'default' })
      await this.#call('PATCH', `${envPath}/strategies/${enc(existing.id)}`, ops)
    } else {
      await this.#call('POST', `${envPath}/strategies`, wanted)
    }
    if (state.mode !== 'off') await this.#call('POST', `${envPath}/on`)
    return state
  }

  async getRoute(routeId: string): Promise<RouteState | undefined> {
    checkLayoutRouteId(routeId, this.#prefix)
    const name = flagNameFor(this.#prefix, routeId)
    const feature = await this.#getFeature(name)
    if (!feature) return undefined
    const env = this.#envOf(feature, name)
    return routeStateFromFeature(routeId, { name, enabled: env.enabled, strategies: env.strategies ?? [] })
  }

  async listRoutes(): Promise<string[]> {
    const body = (await this.#call('GET', `/admin/projects/${enc(this.#project)}/features`)) as { features?: Array<{ name?: unknown }> } | undefined
    const kill = killFlagNameFor(this.#prefix)
    return (body?.features ?? [])
      .map((f) => String(f.name))
      .filter((name) => name.startsWith(this.#prefix) && name !== kill)
      .map((name) => name.slice(this.#prefix.length))
      .sort()
  }

  async setKill(on: boolean): Promise<void> {
    const name = await this.#ensureKillFlag()
    await this.#call('POST', `${this.#featurePath(name)}/environments/${enc(this.#env)}/${on ? 'on' : 'off'}`)
  }

  async getKill(): Promise<boolean> {
    const name = killFlagNameFor(this.#prefix)
    const feature = await this.#getFeature(name)
    return feature ? this.#envOf(feature, name).enabled : false
  }

  async #ensureKillFlag(): Promise<string> {
    const name = killFlagNameFor(this.#prefix)
    const { feature } = await this.#ensureFlag(name, 'kill-switch', 'cutover: when enabled, every cutover route is off')
    if ((this.#envOf(feature, name).strategies ?? []).length === 0) {
      await this.#call('POST', `${this.#featurePath(name)}/environments/${enc(this.#env)}/strategies`, {
        name: 'flexibleRollout',
        constraints: [],
        parameters: { rollout: '100', stickiness: 'default', groupId: name },
      })
    }
    return name
  }

  // GET the flag; create it when missing. A 409 on create means another
  // writer created it meanwhile (then it is read again) or the name is taken
  // in another project (then the second read is a 404 and the 409 stands).
  async #ensureFlag(name: string, type: string, description: string): Promise<{ feature: AdminFeature; created: boolean }> {
    const found = await this.#getFeature(name)
    if (found) return { feature: found, created: false }
    try {
      await this.#call('POST', `/admin/projects/${enc(this.#project)}/features`, { name, type, description, impressionData: false })
    } catch (err) {
      if ((err as { code?: string }).code !== 'CUTOVER_ERR_FLAGS_ADMIN_CONFLICT') throw err
      const raced = await this.#getFeature(name)
      if (!raced) throw err
      return { feature: raced, created: false }
    }
    const feature = await this.#getFeature(name)
    if (!feature) throw new CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND('GET', this.#featurePath(name), 'the flag just created is not readable')
    return { feature, created: true }
  }

  async #getFeature(name: string): Promise<AdminFeature | undefined> {
    try {
      return (await this.#call('GET', this.#featurePath(name))) as AdminFeature
    } catch (err) {
      if ((err as { code?: string }).code === 'CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND') return undefined
      throw err
    }
  }

  #envOf(feature: AdminFeature, name: string): NonNullable<AdminFeature['environments']>[number] {
    const env = feature.environments?.find((e) => e.name === this.#env)
    if (!env) {
      throw new CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND('GET', this.#featurePath(name), `environment "${this.#env}" is not enabled for project "${this.#project}"`)
    }
    return env
  }

  #rolloutOf(feature: AdminFeature, name: string): AdminStrategy | undefined {
    return (this.#envOf(feature, name).strategies ?? []).find((s) => s.name === 'flexibleRollout' && s.disabled !== true)
  }

  #featurePath(name: string): string {
    return `/admin/projects/${enc(this.#project)}/features/${enc(name)}`
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = this.#api + path
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: this.#token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (err) {
      const e = err as Error
      if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT(method, path, this.#timeoutMs)
      throw new CUTOVER_ERR_FLAGS_ADMIN_FAILED(method, path, (e.cause as Error | undefined)?.message ?? e.message)
    }
    const text = await res.text().catch(() => '')
    if (res.ok) {
      if (text === '') return undefined
      try {
        return JSON.parse(text)
      } catch {
        throw new CUTOVER_ERR_FLAGS_ADMIN_FAILED(method, path, `answered ${res.status} with a body that is not JSON`)
      }
    }
    const detail = messageOf(text) ?? res.statusText
    if (res.status === 401 || res.status === 403) throw new CUTOVER_ERR_FLAGS_ADMIN_AUTH(method, path, `${res.status} ${detail}`)
    if (res.status === 404) throw new CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND(method, path, detail)
    if (res.status === 409) throw new CUTOVER_ERR_FLAGS_ADMIN_CONFLICT(method, path, detail)
    throw new CUTOVER_ERR_FLAGS_ADMIN_FAILED(method, path, `${res.status} ${detail}`)
  }
}

const enc = encodeURIComponent

function messageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; details?: Array<{ message?: unknown }> }
    const detail = body.details?.[0]?.message
    return typeof detail === 'string' ? detail : typeof body.message === 'string' ? body.message : undefined
  } catch {
    return text.slice(0, 200) || undefined
  }
}
