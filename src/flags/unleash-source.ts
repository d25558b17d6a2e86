import { EventEmitter } from 'node:events'
import { InMemStorageProvider, Unleash, UnleashEvents } from 'unleash-client'
import type { ClientFeaturesResponse } from 'unleash-client'
import {
  CUTOVER_ERR_FLAGS_OPTIONS_INVALID,
  CUTOVER_ERR_FLAGS_START_TIMEOUT,
  CUTOVER_ERR_FLAGS_UNLEASH_FETCH,
} from '../errors.js'
import type { FlagSourceStartOptions, FlagSourceStatus, RouteState } from './flag-source.js'
import { StateTable, type StateTableOptions } from './state-table.js'
import { audienceOf } from './unleash-audience.js'
import { decidingStrategies, killFlagNameFor, routeStateFromFeature } from './unleash-layout.js'

type Feature = ClientFeaturesResponse['features'][number]
type FeatureWithSegments = ReturnType<Unleash['getFeatureToggleDefinitions']>[number]
type StorageProvider = NonNullable<ConstructorParameters<typeof Unleash>[0]['storageProvider']>

export interface UnleashFlagSourceOptions extends StateTableOptions {
  /** Unleash API URL, e.g. `http://unleash:4242/api`. */
  url: string
  /** A backend (client) API token for the environment to read. */
  token: string
  /** @default 'cutover' */
  appName?: string
  /** Flag name = flagPrefix + route id. @default 'cutover.' */
  flagPrefix?: string
  /** Milliseconds between polls; a change reaches this process within one interval. @default 15000 */
  refreshIntervalMs?: number
  /** Per-request timeout of a features fetch, at least 1000 (unleash-client's minimum retry backoff). @default 10000 */
  fetchTimeoutMs?: number
  /** Features to serve until the server answers (the client API `features` array). */
  bootstrap?: Feature[]
  /**
   * Where unleash-client keeps its copy of the last payload, so a restart while
   * Unleash is down starts from the last known state. @default unleash-client's file backup in the OS temp dir
   */
  storageProvider?: StorageProvider | 'memory'
  /** unleash-client's Unleash project filter. */
  projectName?: string
  /**
   * unleash-client stops polling for good after a 401/403. The source then
   * starts a fresh client after this many ms (and again while the answer stays
   * 401/403), so a fixed token takes effect without a restart. @default 60000
   */
  authRetryMs?: number
}

const FETCH_WARNING = /responded \d{3}|Backing off/
const AUTH_REFUSED = /responded 40[13]\b/

/**
 * unleash-client's destroy() removes its repository's error listeners, so a
 * fetch still in flight that then fails would throw an uncaught error; a
 * listener is put back to absorb it.
 */
function destroyClient(client: Unleash): void {
  client.destroy()
  const repository: unknown = Reflect.get(client, 'repository')
  if (repository instanceof EventEmitter) repository.on('error', () => {})
}

/**
 * true when the client's features came from the server rather than the bootstrap: unleash-client
 * applies a bootstrap only while it has no server answer and marks its repository `connected` on
 * the first one (not public API; a test pins it, so an upgrade that drops it is caught).
 */
function answeredByServer(client: Unleash): boolean {
  const repository: unknown = Reflect.get(client, 'repository')
  return repository !== null && typeof repository === 'object' && Reflect.get(repository, 'connected') === true
}

/**
 * Route flags from Unleash through unleash-client. Reads come from a state
 * table rebuilt on each payload; a payload that fails (5xx, 401, network,
 * malformed) keeps the last good state, logged and counted.
 */
export class UnleashFlagSource extends StateTable {
  readonly kind = 'unleash'
  readonly flagPrefix: string
  readonly #options: UnleashFlagSourceOptions
  readonly #killFlag: string
  #client: Unleash | undefined
  #starting: Promise<void> | undefined
  #fetchFaults = 0
  #lastGood = new Map<string, RouteState>()
  /** Where the table in use came from. */
  #origin: FlagSourceStatus['origin'] = 'none'
  #storage: StorageProvider | undefined
  #authRetry: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: UnleashFlagSourceOptions) {
    super(options)
    for (const key of ['url', 'token'] as const) {
      if (typeof options?.[key] !== 'string' || options[key] === '') {
        throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID(`${key} to be a non-empty string`, JSON.stringify(options?.[key]))
      }
    }
    // unleash-client's retry policy rejects request timeouts under its 1s minimum backoff.
    for (const [key, min] of [['refreshIntervalMs', 10], ['fetchTimeoutMs', 1000], ['authRetryMs', 10]] as const) {
      const v = options[key]
      if (v !== undefined && (!Number.isInteger(v) || v < min)) {
        throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID(`${key} to be an integer >= ${min} (milliseconds)`, JSON.stringify(v))
      }
    }
    this.#options = options
    // One storage for every client this source makes: a client started after
    // an auth failure begins from the last good payload, not from the bootstrap.
    this.#storage = options.storageProvider === 'memory' ? new InMemStorageProvider<ClientFeaturesResponse>() : options.storageProvider
    this.flagPrefix = options.flagPrefix ?? 'cutover.'
    this.#killFlag = killFlagNameFor(this.flagPrefix)
  }

  async start(options: FlagSourceStartOptions = {}): Promise<FlagSourceStatus> {
    const timeoutMs = options.timeoutMs ?? 5000
    if (this.#client) throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('start() to be called once', 'a second call')
    const client = this.#createClient(true)
    this.#client = client
    const faultsBefore = this.#fetchFaults
    // start() resolves once the first fetch has finished, whatever its outcome
    // (unleash-client catches fetch errors), after the backup and bootstrap loaded.
    this.#starting = client.start().catch((err: Error) => this.fault(new CUTOVER_ERR_FLAGS_UNLEASH_FETCH(err.message)))
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      this.#starting.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
    const synchronized = finished && this.#fetchFaults === faultsBefore
    const origin = this.#origin
    if (!finished) {
      this.fault(new CUTOVER_ERR_FLAGS_START_TIMEOUT(this.kind, timeoutMs, origin === 'none' ? 'all-off' : origin))
    }
    return this.startStatus(synchronized, origin)
  }

  /**
   * Stops polling. The start-up fetch is awaited before destroy() (see
   * destroyClient); a later poll in flight cannot be awaited and is absorbed.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#authRetry)
    const client = this.#client
    if (!client) return
    await this.#starting
    destroyClient(client)
  }

  // After a 401/403 the old client has stopped polling (its last fetch is over),
  // so destroying it and starting a new one is safe.
  #retryAuthLater(): void {
    if (this.#authRetry || this.#closed) return
    this.#authRetry = setTimeout(() => {
      this.#authRetry = undefined
      if (this.#closed || !this.#client) return
      destroyClient(this.#client)
      const client = this.#createClient(false)
      this.#client = client
      this.#starting = client.start().catch((err: Error) => this.fault(new CUTOVER_ERR_FLAGS_UNLEASH_FETCH(err.message)))
    }, this.#options.authRetryMs ?? 60_000)
    this.#authRetry.unref()
  }

  #createClient(first: boolean): Unleash {
    const o = this.#options
    const storage = this.#storage
    const client = new Unleash({
      url: o.url,
      appName: o.appName ?? 'cutover',
      customHeaders: { Authorization: o.token },
      refreshInterval: o.refreshIntervalMs ?? 15_000,
      timeout: o.fetchTimeoutMs ?? 10_000,
      // cutover evaluates flags itself (no isEnabled calls), so there is nothing to report.
      disableMetrics: true,
      skipInstanceCountWarning: true,
      namePrefix: this.flagPrefix,
      ...(o.projectName ? { projectName: o.projectName } : {}),
      ...(o.bootstrap && first ? { bootstrap: { data: o.bootstrap } } : {}),
      ...(storage ? { storageProvider: storage } : {}),
      disableAutoStart: true,
    })
    // Read back from the client rather than taken from the event: with segments resolved.
    client.on(UnleashEvents.Changed, () => this.#rebuild(client.getFeatureToggleDefinitions(true), answeredByServer(client) ? 'backend' : 'bootstrap'))
    // A backup read at start makes the client ready without a 'changed' event; a bootstrap or a
    // server answer emits 'changed' first (ready follows on the next tick) and keeps its origin.
    client.on(UnleashEvents.Ready, () =>
      this.#rebuild(client.getFeatureToggleDefinitions(true), this.#origin === 'none' ? 'backup' : this.#origin))
    client.on(UnleashEvents.Error, (err: Error) => {
      this.#fetchFaults++
      this.fault(new CUTOVER_ERR_FLAGS_UNLEASH_FETCH(err.message))
      if (AUTH_REFUSED.test(err.message)) this.#retryAuthLater()
    })
    client.on(UnleashEvents.Warn, (msg: unknown) => {
      const text = msg instanceof Error ? msg.message : String(msg)
      if (FETCH_WARNING.test(text)) {
        this.#fetchFaults++
        this.fault(new CUTOVER_ERR_FLAGS_UNLEASH_FETCH(text))
      } else {
        this.log.warn({ source: this.kind }, text)
      }
    })
    return client
  }

  // Builds a complete table from the client's features. A flag that breaks the
  // layout keeps its last good state (or stays off when it never had one).
  #rebuild(features: FeatureWithSegments[], origin: FlagSourceStatus['origin']): void {
    const routes = new Map<string, RouteState>()
    let kill = false
    for (const feature of features) {
      if (!feature?.name?.startsWith(this.flagPrefix)) continue
      if (feature.name === this.#killFlag) {
        kill = feature.enabled === true
        continue
      }
      const routeId = feature.name.slice(this.flagPrefix.length)
      try {
        routes.set(routeId, this.#withAudience(routeId, feature, routeStateFromFeature(routeId, feature)))
      } catch (err) {
        this.fault(err as Error, { flag: feature.name })
        const last = this.#lastGood.get(routeId)
        if (last) routes.set(routeId, last)
      }
    }
    this.#lastGood = routes
    this.#origin = origin
    this.replace(routes, kill)
  }

  // A flag with constraints or segments applies to the requests they admit. An
  // audience whose constraints did not change is kept, so its faults are logged once.
  #withAudience(routeId: string, feature: FeatureWithSegments, state: RouteState): RouteState {
    if (state.mode === 'off') return state
    const flag = feature.name
    const audience = audienceOf(decidingStrategies(feature), {
      flag,
      appName: this.#options.appName ?? 'cutover',
      previous: this.#lastGood.get(routeId)?.audience,
      report: (err, log) => this.fault(err, { flag }, log),
    })
    return audience ? Object.freeze({ ...state, audience }) : state
  }
}
