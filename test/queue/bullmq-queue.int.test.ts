import { Queue } from 'bullmq'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { bullmqPrefix } from '../../src/queue/keys.js'
import { drainableQueueContract } from '../contract/drainable-queue.contract.js'
import { refreshQueueContract } from '../contract/refresh-queue.contract.js'

refreshQueueContract('bullmq', (env, name) => new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name }))
drainableQueueContract('bullmq', {
  make: (env, name) => new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name }),
  injectInvalid: async (env, name) => {
    // A foreign producer on the same BullMQ queue, with data that is no refresh job.
    const foreign = new Queue(name, { connection: env.connect(), prefix: bullmqPrefix(env.prefix, name) })
    await foreign.add('products', { table: 'products' })
    await foreign.close()
  },
})
