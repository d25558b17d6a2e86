import { describe, expect, it } from 'vitest'
import { closeAll } from '../../src/demo/close-all.js'

describe('closeAll', () => {
  it('runs every step even after one fails, then rethrows the first failure', async () => {
    const ran: string[] = []
    const closing = closeAll([
      () => ran.push('app'),
      async () => {
        ran.push('worker')
        throw new Error('worker failed')
      },
      () => {
        ran.push('queue')
        throw new Error('queue failed')
      },
      async () => ran.push('meter'),
    ])
    await expect(closing).rejects.toThrow('worker failed')
    expect(ran).toEqual(['app', 'worker', 'queue', 'meter'])
  })

  it('resolves when every step does', async () => {
    await expect(closeAll([() => undefined, async () => 1])).resolves.toBeUndefined()
  })
})
