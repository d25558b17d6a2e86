// `cutover/queue`: the legacy refresh queue as cutover sees it, and the Redis list driver.
// BullMQ: `cutover/queue/bullmq`.
export { checkJob, type RefreshQueue, type RefreshJob, type RefreshHandler, type RefreshConsumer, type ConsumeOptions } from '../queue/refresh-queue.js'
export { ListRefreshQueue, type ListQueueOptions } from '../queue/list-queue.js'
