import { describe, expect, it } from 'vitest'
import { listQueueKeys } from '../../src/queue/keys.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { drainableQueueContract } from '../contract/drainable-queue.contract.js'
import { refreshQueueContract } from '../contract/refresh-queue.contract.js'
import { redisForTest } from '../helpers/redis.js'

refreshQueueContract('list', (env, name) => new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name, pollSeconds: 0.1 }))
drainableQueueContract('list', {
  make: (env, name) => new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name, pollSeconds: 0.1 }),
  injectInvalid: async (env, name) => {
    await env.redis.lpush(listQueueKeys(env.prefix, name).waiting, '{"table":"products"')
  },
})

describe('list queue options', () => {
  it('rejects a missing client, an empty prefix and a bad name with coded errors', () => {
    const env = redisForTest('list-opts')
    try {
      expect(() => new ListRefreshQueue({} as never)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_QUEUE_OPTIONS_INVALID' }))
      expect(() => new ListRefreshQueue({ redis: env.redis, prefix: '' })).toThrow(/prefix/)
      expect(() => new ListRefreshQueue({ redis: env.redis, name: 'a b' })).toThrow(/name/)
    } finally {
      void env.cleanup()
    }
  })
})
