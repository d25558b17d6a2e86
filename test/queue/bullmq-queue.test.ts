import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { refreshQueueContract } from '../contract/refresh-queue.contract.js'

refreshQueueContract('bullmq', (env, name) => new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name }))
