import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import type { Meter } from '../meter/meter.js'
import { cutoverMeter } from '../meter/plugin.js'
import type { RefreshQueue } from '../queue/refresh-queue.js'
import { LegacyCatalog, type Product, type ProductPage } from './catalog.js'
import { PRODUCT_SORTS, type ProductSort } from './keys.js'

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
}

/** Tags of a page: every product on it, so a write drops exactly the pages showing it. */
const productTags = (products: Product[]): string[] => ['products', ...products.map((p) => `product:${p.id}`)]

/** Route ids (also the meter's route names). The page cache config is read only when its plugin is registered. */
const listConfig = {
  cutover: {
    id: 'products.list', ttl: 30, stale: 300, query: ['page', 'sort', 'category'],
    tags: (_request: unknown, body: unknown) => productTags((body as ProductPage).items ?? []),
  },
}
const getConfig = {
  cutover: { id: 'products.get', ttl: 30, stale: 300, tags: (_request: unknown, body: unknown) => productTags([body as Product]) },
}
const categoryConfig = {
  cutover: {
    id: 'categories.products', ttl: 30, stale: 300, query: ['page', 'sort'],
    tags: (_request: unknown, body: unknown) => productTags((body as ProductPage).items ?? []),
  },
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
 * served, enqueued after every response. With `pageCache` the read routes are
 * page-cached and stop enqueueing; writes then update the row's key and drop
 * the pages showing it.
 */
export async function buildDemoApp(options: DemoAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  const catalog = new LegacyCatalog(options.pool, options.redis, options.prefix)
  const { queue, pageCache } = options
  if (options.meter) await app.register(cutoverMeter, { meter: options.meter, metrics: options.metrics ?? false })
  if (pageCache) await pageCache.register(app)
  if (options.beforeRoutes) await options.beforeRoutes(app)

  /** Sends the body, then enqueues the refresh jobs, as the legacy app does. */
  const respond = async (reply: FastifyReply, body: unknown, products: Product[]): Promise<FastifyReply> => {
    reply.send(body)
    if (!pageCache && products.length > 0) {
      await queue.enqueue(products.map((p) => ({ table: 'products', id: p.id }))).catch((err: unknown) => reply.log.error(err))
    }
    return reply
  }

  app.get<{ Querystring: { page: number; sort: ProductSort; category?: number } }>(
    '/api/products',
    { config: listConfig, schema: { querystring: listQuerySchema } },
    async (request, reply) => {
      const page = await catalog.list(request.query)
      return respond(reply, page, page.items)
    },
  )

  app.get<{ Params: { id: number } }>('/api/products/:id', { config: getConfig, schema: { params: idParams } }, async (request, reply) => {
    const product = await catalog.get(request.params.id)
    if (!product) return reply.code(404).send({ error: 'not found', id: request.params.id })
    return respond(reply, product, [product])
  })

  app.get<{ Params: { id: number }; Querystring: { page: number; sort: ProductSort } }>(
    '/api/categories/:id/products',
    { config: categoryConfig, schema: { params: idParams, querystring: { ...listQuerySchema, properties: { page: listQuerySchema.properties.page, sort: listQuerySchema.properties.sort } } } },
    async (request, reply) => {
      const page = await catalog.list({ ...request.query, category: request.params.id })
      return respond(reply, page, page.items)
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
