/** Redis keys of the list queue driver; the `{name}` hash tag keeps both lists in one Cluster slot. */
export function listQueueKeys(prefix: string, name: string): { waiting: string; running: string } {
  const base = `${prefix}:v1:queue:{${name}}`
  return { waiting: `${base}:waiting`, running: `${base}:running` }
}

/** BullMQ's own key prefix for a cutover queue (BullMQ appends `:<name>:...`). */
export function bullmqPrefix(prefix: string): string {
  return `${prefix}:v1:bullmq`
}
