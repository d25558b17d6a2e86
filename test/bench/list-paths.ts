// The list pages the legacy benchmarks ask for.

/** Skewed list pages (popular pages far more often), as users browse. */
export function listPaths(): () => string {
  let seed = 7
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  return () => `/api/products?page=${Math.min(99, Math.floor(100 * random() ** 3)) + 1}&sort=id`
}
