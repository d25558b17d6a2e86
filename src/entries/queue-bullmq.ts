// `cutover/queue/bullmq`: the refresh queue on BullMQ (needs the peer dependency bullmq).
export { BullmqRefreshQueue, type BullmqQueueOptions } from '../queue/bullmq-queue.js'
