import { describe, expect, it } from 'vitest'
import type { PlaybookQueueControl } from '../../src/playbook/queue-control.js'
import { FakeQueueControl } from '../helpers/fake-queue-control.js'

// The drain side's QueueControl as the contract between the two sides states
// it. The runner declares only what it calls (PlaybookQueueControl); this
// checks, at compile time, that the contract's interface is assignable to it,
// so the real one plugs in unchanged.

type GatePolicy = 'pass' | 'dedupe' | 'drop'
interface DrainSchedule {
  from: number
  to: number
  overMs: number
  startAt?: number
}
interface DrainSettings {
  state: 'running' | 'paused' | 'stopped'
  rate?: number
  schedule?: DrainSchedule
  updatedAt: number
}
interface QueueStatus {
  depth: number
  inFlight: number
  deadLetters: number
  lastEnqueueAt: number | undefined
  settings: DrainSettings
  drainers: number
  drainRate: number
}
interface ContractQueueControl {
  setGatePolicy(routeId: string, policy: GatePolicy | null): Promise<void>
  gatePolicies(): Promise<Record<string, GatePolicy>>
  setDrain(settings: Omit<DrainSettings, 'updatedAt'>): Promise<DrainSettings>
  status(): Promise<QueueStatus>
  retire(options: { quietMs: number }): Promise<void>
}

describe('queue control contract', () => {
  it('the contract\'s QueueControl and the test fake both fit what the runner calls', async () => {
    const fromContract = (c: ContractQueueControl): PlaybookQueueControl => c
    const fake: ContractQueueControl = new FakeQueueControl()
    const control = fromContract(fake)
    await control.setGatePolicy('r', 'dedupe')
    expect(await control.gatePolicies()).toEqual({ r: 'dedupe' })
    await expect(control.retire({ quietMs: 0 })).resolves.toBeUndefined()
  })
})
