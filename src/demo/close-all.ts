/**
 * Runs every close step in order, even after one fails, then rethrows the
 * first failure: a step skipped because an earlier one threw would leave its
 * connection or timer open, and the process would never exit.
 */
export async function closeAll(steps: ReadonlyArray<() => unknown>): Promise<void> {
  let failure: { error: unknown } | undefined
  for (const step of steps) {
    try {
      await step()
    } catch (error) {
      failure ??= { error }
    }
  }
  if (failure) throw failure.error
}
