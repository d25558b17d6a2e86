/** The route the shadow demo puts in shadow mode. */
export const SHADOW_DEMO_ROUTE = 'products.list'
/** The product the shadow demo renames behind the cache (staleness). */
export const RENAMED_PRODUCT = 1
