// How a shadow render sent over the app's own socket finds out about the
// request it became: the caller names the render in a header and waits; on a
// request carrying the process's shadow token, the plugin's path decision
// notes when the request started and when its response finished (so the
// render is timed as the user's response is, without its waits in the socket
// on either side) and the meter plugin hands over the request it keys the
// counts by.
import { performance } from 'node:perf_hooks'


/** What the server side of a render tells its caller. */
export interface RenderSlot {
  /** The raw request the meter keyed the render's counts by. */
  raw: object | undefined
  /** performance.now() when the plugin decided the render's path. */
  started: number | undefined
  /** performance.now() when its response finished. */
  finished: number | undefined
}

const awaited = new Map<string, RenderSlot>()

/** Waits for the render `id`: the returned slot is filled in once the server sees it. Release it when done. */
export function awaitRender(id: string): Readonly<RenderSlot> {
  const slot: RenderSlot = { raw: undefined, started: undefined, finished: undefined }
  awaited.set(id, slot)
  return slot
}

export function releaseRender(id: string): void {
  awaited.delete(id)
}

/** Called by the meter plugin for shadow requests; ids nobody waits for are ignored. */
export function bindRender(id: string, raw: object): void {
  const slot = awaited.get(id)
  if (slot) slot.raw = raw
}

/**
 * Called by the plugin's path decision for requests carrying the shadow token,
 * with the raw response; ids nobody waits for are ignored.
 */
export function timeRender(id: string, res: { once(event: 'finish', listener: () => void): unknown }): void {
  const slot = awaited.get(id)
  if (!slot) return
  slot.started = performance.now()
  res.once('finish', () => {
    slot.finished = performance.now()
  })
}

/** Renders being waited for (tests: none may be left behind). */
export function awaitedRenders(): number {
  return awaited.size
}
