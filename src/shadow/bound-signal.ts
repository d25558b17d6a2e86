/** Why a signal aborted, as text. */
function reasonOf(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason)
}

/** `p`, or a rejection (`shadow aborted: <reason>`) as soon as `signal` aborts. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error(`shadow aborted: ${reasonOf(signal)}`))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error(`shadow aborted: ${reasonOf(signal)}`))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v) },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e instanceof Error ? e : new Error(String(e))) },
    )
  })
}

/**
 * `parent` or a timeout, whichever aborts first; `release()` when done. One
 * controller and one unref'd timer per shadow: AbortSignal.any() with
 * AbortSignal.timeout() costs several times more per call on Node 20 and
 * keeps its signals alive for the collector to trace.
 */
export function boundSignal(parent: AbortSignal, timeoutMs: number): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(parent.reason)
  if (parent.aborted) onAbort()
  else parent.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(() => controller.abort(new Error(`shadow exceeded ${timeoutMs}ms`)), timeoutMs)
  timer.unref()
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer)
      parent.removeEventListener('abort', onAbort)
    },
  }
}
