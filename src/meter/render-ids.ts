// How a shadow render sent over the app's own socket finds the meter counts of
// the request it became: the caller names the render in a header and waits;
// the meter plugin, seeing that header on a shadow request (one that carries
// the process's shadow token), hands over the request it keys the counts by.

/** Header naming a loopback shadow render (only read on requests that carry the shadow token). */
export const RENDER_ID_HEADER = 'x-cutover-render'

const awaited = new Map<string, { raw: object | undefined }>()

/** Waits for the render `id`: the returned slot gets its raw request once the server sees it. Release it when done. */
export function awaitRender(id: string): { readonly raw: object | undefined } {
  const slot = { raw: undefined as object | undefined }
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

/** Renders being waited for (tests: none may be left behind). */
export function awaitedRenders(): number {
  return awaited.size
}
