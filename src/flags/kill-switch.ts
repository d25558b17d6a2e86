/** The environment variable that turns every route off in a process at start-up. */
export const KILL_ENV = 'CUTOVER_KILL'

/** true when CUTOVER_KILL is set to a true-ish value (1, true, yes, on). */
export function killedByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[KILL_ENV]?.trim().toLowerCase()
  return value === '1' || value === 'true' || value === 'yes' || value === 'on'
}
