import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import type { Meter } from '../meter/meter.js'
import { cutoverMeter } from '../meter/plugin.js'
import type { RefreshQueue } from '../queue/refresh-queue.js'
import { LegacyCatalog, type Product, type ProductPage } from './catalog.js'
import { PRODUCT_SORTS, type ListQuery } from './keys.js'
import { PageCatalog } from './page-catalog.js'

/** How the page cache is put in front of the read routes (see page-cache.ts). */
export interface DemoPageCache {
  /** Registers the page cache plugin on the app, before the routes. */
  register(app: FastifyInstance): Promise<void>
  /** Drops the cached pages carrying any of these tags. */
  invalidate(app: FastifyInstance, tags: string[]): Promise<void>
}

export interface DemoAppOptions {
  /** MySQL pool of the demo database (wrap it with meterPool to measure). */
  pool: Pool
  /** Redis for the object cache (wrap it with meterRedis to measure). */
  redis: Redis
  /** The refresh queue (wrap it with meterQueue to measure). */
  queue: RefreshQueue
  /** Prefix of the object-cache keys (`<prefix>:v1:demo:...`). */
  prefix: string
  /** Registers the meter plugin (request context, latency) when given. */
  meter?: Meter
  /** Serve the meter's Prometheus metrics at /metrics. @default false */
  metrics?: boolean
  /** Page cache for the read routes; their refresh jobs stop. Absent: the legacy app as it is. */
  pageCache?: DemoPageCache
  /** Fastify logger. @default false */
  logger?: boolean
  /** Runs on the app before the routes are added (extra hooks or plugins). */
  beforeRoutes?: (app: FastifyInstance) => Promise<void>
  /** Deliberate differences for the shadow proof (`cutover demo shadow`). @default none */
  faults?: DemoFaults
}

/** Deliberate differences between the paths, off by default; `cutover demo shadow` turns them on. */
export interface DemoFaults {
  /**
   * The page handler of `products.list` rounds `priceCents` to whole units: a
   * logic change on the page path only. @default false
   */
  roundPrices?: boolean
  /**
   * List pages carry `generatedAt`, the time they were rendered, on both paths:
   * it differs between any two renders (noise). Off by default so both paths
   * give the same JSON for the same data. @default false
   */
  generatedAt?: boolean
}

/** Tags of a page: every product on it, so a write drops exactly the pages showing it. */
const productTags = (products: Product[]): string[] => ['products', ...products.map((p) => `product:${p.id}`)]
const pageTags = (_request: unknown, body: unknown): string[] => productTags((body as ProductPage).items ?? [])

/** Adds `generatedAt` to list pages when the fault is on (both paths). */
const stamper = (faults: DemoFaults) => (page: ProductPage): ProductPage =>
  faults.generatedAt ? { ...page, generatedAt: new Date().toISOString() } : page

type ListRequest = FastifyRequest<{ Querystring: ListQuery }>
type ItemRequest = FastifyRequest<{ Params: { id: number } }>
type CategoryRequest = FastifyRequest<{ Params: { id: number }; Querystring: ListQuery }>

/**
 * The read routes' `config.cutover`: ids (also the meter's route names),
 * TTLs, tags, and the page handlers, which read MySQL directly (one query a
 * page) where the legacy handlers read the object cache and enqueue refresh
 * jobs. The page cache config is read only when its plugin is registered.
 */
function readRouteConfigs(pages: PageCatalog, faults: DemoFaults) {
  const stamp = stamper(faults)
  const round = (page: ProductPage): ProductPage =>
    faults.roundPrices ? { ...page, items: page.items.map((p) => ({ ...p, priceCents: Math.round(p.priceCents / 100) * 100 })) } : page
  return {
    list: {
      cutover: {
        id: 'products.list', ttl: 30, stale: 300, query: ['page', 'sort', 'category'], tags: pageTags,
        handler: async (request: ListRequest) => stamp(round(await pages.list(request.query))),
      },
    },
    get: {
      cutover: {
        id: 'products.get', ttl: 30, stale: 300, tags: (_request: unknown, body: unknown) => productTags([body as Product]),
        handler: async (request: ItemRequest, reply: FastifyReply) =>
          (await pages.get(request.params.id)) ?? reply.code(404).send({ error: 'not found', id: request.params.id }),
      },
    },
    category: {
      cutover: {
        id: 'categories.products', ttl: 30, stale: 300, query: ['page', 'sort'], tags: pageTags,
        handler: async (request: CategoryRequest) => stamp(await pages.list({ ...request.query, category: request.params.id })),
      },
    },
  }
}

const listQuerySchema = {
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
    sort: { type: 'string', enum: PRODUCT_SORTS, default: 'id' },
    category: { type: 'integer', minimum: 1 },
  },
} as const
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const

/**
 * The legacy demo app: object caching in Redis, one refresh job per record
 * served, enqueued after every response. With `pageCache` the read routes get
 * their page path: requests that take it (per route mode) are page-cached and
 * rendered by page handlers that read MySQL directly and enqueue nothing;
 * requests on the legacy path run the legacy handlers as before. Writes then
 * update the row's key and drop the pages showing it.
 */
export async function buildDemoApp(options: DemoAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  const catalog = new LegacyCatalog(options.pool, options.redis, options.prefix)
  const configs = readRouteConfigs(new PageCatalog(options.pool), options.faults ?? {})
  const { queue, pageCache } = options
  if (options.meter) await app.register(cutoverMeter, { meter: options.meter, metrics: options.metrics ?? false })
  if (pageCache) await pageCache.register(app)
  if (options.beforeRoutes) await options.beforeRoutes(app)

  /** Sends the body, then enqueues the refresh jobs: the legacy path does, in every route mode. */
  const respond = async (reply: FastifyReply, body: unknown, products: Product[]): Promise<FastifyReply> => {
    reply.send(body)
    if (products.length > 0) {
      await queue.enqueue(products.map((p) => ({ table: 'products', id: p.id }))).catch((err: unknown) => reply.log.error(err))
    }
    return reply
  }

  const stamp = stamper(options.faults ?? {})

  app.get<{ Querystring: ListQuery }>(
    '/api/products',
    { config: configs.list, schema: { querystring: listQuerySchema } },
    async (request, reply) => {
      const page = await catalog.list(request.query)
      return respond(reply, stamp(page), page.items)
    },
  )

  app.get<{ Params: { id: number } }>('/api/products/:id', { config: configs.get, schema: { params: idParams } }, async (request, reply) => {
    const product = await catalog.get(request.params.id)
    if (!product) return reply.code(404).send({ error: 'not found', id: request.params.id })
    return respond(reply, product, [product])
  })

  app.get<{ Params: { id: number }; Querystring: ListQuery }>(
    '/api/categories/:id/products',
    { config: configs.category, schema: { params: idParams, querystring: { ...listQuerySchema, properties: { page: listQuerySchema.properties.page, sort: listQuerySchema.properties.sort } } } },
    async (request, reply) => {
      const page = await catalog.list({ ...request.query, category: request.params.id })
      return respond(reply, stamp(page), page.items)
    },
  )

  app.put<{ Params: { id: number }; Body: { name?: string; priceCents?: number } }>(
    '/api/products/:id',
    {
      schema: {
        params: idParams,
        body: {
          type: 'object', additionalProperties: false, anyOf: [{ required: ['name'] }, { required: ['priceCents'] }],
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, priceCents: { type: 'integer', minimum: 0, maximum: 100_000_000 } },
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      if (!(await catalog.update(id, request.body))) return reply.code(404).send({ error: 'not found', id })
      if (pageCache) {
        await catalog.refresh(id)
        await pageCache.invalidate(app, [`product:${id}`])
        return reply.code(204).send()
      }
      return respond(reply.code(204), undefined, [{ id } as Product])
    },
  )

  return app
}
