import { timeWindow } from '../duration.js'
import { usage } from './command.js'

/** A report window from --since and --until (checked by their readers), resolved against `now`; an empty one is bad usage. */
export function readWindow(since: string, until: string | undefined, now: number): { from: number; to: number } {
  return usage(() => timeWindow({ since, until, defaultSince: since, now }))
}
