// `cutover/queue`: the legacy refresh queue as cutover sees it, the Redis list driver,
// the producer gate, the drainer and the queue's control plane. BullMQ: `cutover/queue/bullmq`.
export {
  checkJob,
  type RefreshQueue,
  type RefreshJob,
  type RefreshHandler,
  type RefreshConsumer,
  type ConsumeOptions,
  type DrainableQueue,
  type AddEntry,
  type AddOptions,
  type EnqueueOptions,
  type ClaimedJob,
  type FailedClaim,
  type DeadLetter,
  type QueueCounts,
  type RetireCheck,
  type SettledOutcome,
} from '../queue/refresh-queue.js'
export { ListRefreshQueue, type ListQueueOptions } from '../queue/list-queue.js'
export { queueKeys, listQueueKeys, type QueueKeys, type ListQueueKeys } from '../queue/keys.js'
export { gateQueue, NO_ORIGIN, type GatedRefreshQueue } from '../queue/gate.js'
export { DEFAULT_MODE_POLICIES, GATE_POLICIES, type GateDecision, type GateObserver, type GateOptions, type GateOverrides, type GatePolicy } from '../queue/gate-policy.js'
export {
  createQueueControl,
  DRAINER_LIVE_MS,
  type DrainerReport,
  type QueueControl,
  type QueueControlOptions,
  type QueueStatus,
  type RetireResult,
} from '../queue/control.js'
export { rateAt, MAX_RATE, type DrainSchedule, type DrainSettings, type DrainState } from '../queue/drain-settings.js'
export { createDrainer, Drainer } from '../queue/drainer.js'
export type { DrainerEvents, DrainerState, DrainerTotals, DrainFault, DrainProgress, DrainResult } from '../queue/drainer-events.js'
export {
  isTransientDbError,
  type ChargeHook,
  type DrainerOptions,
  type DrainPressureOptions,
  type RefreshMany,
  type SettledJob,
} from '../queue/drain-options.js'
export { mysqlThreadsRunning, type SqlClient } from '../queue/pressure.js'
export type { BatchOutcome } from '../queue/refresh-batch.js'
