import { describe, expect, it } from 'vitest'
import type { PlaybookQueueControl } from '../../src/playbook/queue-control.js'
import type { QueueControl as ContractQueueControl } from '../../src/queue/control.js'
import { FakeQueueControl } from '../helpers/fake-queue-control.js'

// The runner declares only what it calls of the drain side's QueueControl
// (PlaybookQueueControl); this checks, at compile time, that the real
// interface is assignable to it, so createQueueControl plugs in unchanged.

describe('queue control contract', () => {
  it('the contract\'s QueueControl and the test fake both fit what the runner calls', async () => {
    const fromContract = (c: ContractQueueControl): PlaybookQueueControl => c
    const fake = new FakeQueueControl() as unknown as ContractQueueControl
    const control = fromContract(fake)
    await control.setGatePolicy('r', 'dedupe')
    expect(await control.gatePolicies()).toEqual({ r: 'dedupe' })
    await expect(control.retire({ quietMs: 0 })).resolves.toBeUndefined()
  })
})
