import type { GatePolicy, PlaybookDrainSettings, PlaybookQueueControl, PlaybookQueueStatus } from '../../src/playbook/queue-control.js'

/**
 * An in-memory stand-in for the drain side's QueueControl (src/queue/control.ts):
 * the same calls, the same refusal code for an early retire, and a log of
 * every call that changed something.
 */
export class FakeQueueControl implements PlaybookQueueControl {
  policies: Record<string, GatePolicy> = {}
  settings: PlaybookDrainSettings & { updatedAt: number } = { state: 'stopped', updatedAt: 0 }
  depth = 0
  inFlight = 0
  lastEnqueueAt: number | undefined
  retired = false
  calls: string[] = []
  now = (): number => Date.now()

  async setGatePolicy(routeId: string, policy: GatePolicy | null): Promise<void> {
    this.calls.push(`gate ${routeId} ${policy}`)
    if (policy === null) delete this.policies[routeId]
    else this.policies[routeId] = policy
  }

  async gatePolicies(): Promise<Record<string, GatePolicy>> {
    return { ...this.policies }
  }

  async setDrain(settings: PlaybookDrainSettings): Promise<PlaybookDrainSettings & { updatedAt: number }> {
    this.calls.push(`drain ${JSON.stringify(settings)}`)
    this.settings = { ...settings, updatedAt: this.now() }
    return this.settings
  }

  async status(): Promise<
    PlaybookQueueStatus & { settings: PlaybookDrainSettings & { updatedAt: number }; deadLetters: number; lastEnqueueAt: number | undefined; drainers: number; drainRate: number }
  > {
    return { depth: this.depth, inFlight: this.inFlight, deadLetters: 0, lastEnqueueAt: this.lastEnqueueAt, settings: this.settings, drainers: 1, drainRate: 0 }
  }

  async retire(options: { quietMs: number }): Promise<void> {
    const quiet = this.lastEnqueueAt === undefined || this.now() - this.lastEnqueueAt >= options.quietMs
    if (this.depth > 0 || !quiet) {
      throw Object.assign(new Error(`queue not retired: depth ${this.depth}, last enqueue ${this.lastEnqueueAt}`), { code: 'CUTOVER_ERR_DRAIN_RETIRE_REFUSED' })
    }
    this.calls.push(`retire ${options.quietMs}`)
    this.retired = true
  }
}
