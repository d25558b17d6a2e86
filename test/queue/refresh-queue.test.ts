import { describe, expect, it } from 'vitest'
import { jobWriter, withOrigin, type RefreshJob } from '../../src/queue/refresh-queue.js'

describe('jobWriter', () => {
  const origins = ['products.list', 'GET /api/x', 'a "quoted" \\ route', 'line\nbreak \u0000 \u2028 \ud800', '']
  const jobs: RefreshJob[] = [
    { table: 'products', id: 1 },
    { table: 'products', id: 'k"1' },
    { table: 't', id: 2, extra: { nested: [1, '}'] } } as RefreshJob,
    { table: 't', id: 3, origin: undefined } as unknown as RefreshJob,
  ]

  it('writes each job without an origin as a copy with the origin added last would be written', () => {
    for (const origin of origins) {
      const write = jobWriter(origin)
      for (const job of jobs) {
        const text = write(job)
        expect(text).toBe(JSON.stringify(Object.assign({}, job, { origin })))
        expect(JSON.parse(text)).toMatchObject({ table: job.table, id: job.id, origin })
      }
    }
  })

  it('keeps a job\'s own origin, and writes jobs as they are without one to stamp', () => {
    expect(jobWriter('r')({ table: 't', id: 1, origin: 'own' })).toBe('{"table":"t","id":1,"origin":"own"}')
    expect(jobWriter(undefined)({ table: 't', id: 1 })).toBe('{"table":"t","id":1}')
  })

  it('stamps a job whose toJSON writes fields of its own, or no object at all', () => {
    const fields = { table: 't', id: 1, toJSON: () => ({ table: 't', id: 1, at: 5 }) } as RefreshJob
    expect(JSON.parse(jobWriter('r')(fields))).toEqual({ table: 't', id: 1, at: 5, origin: 'r' })
    const odd = { table: 't', id: 1, toJSON: () => 'odd' } as RefreshJob
    expect(() => jobWriter('r')(odd)).not.toThrow()
  })

  it('rejects a malformed job or origin with a coded error', () => {
    expect(() => jobWriter('r')({ table: '', id: 1 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' }))
    expect(() => jobWriter(5 as unknown as string)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID', message: expect.stringMatching(/origin 5/) }))
  })
})

describe('withOrigin', () => {
  it('copies a job to stamp it and leaves jobs with an origin, or with none to stamp, as they are', () => {
    const job = { table: 't', id: 1 }
    const stamped = withOrigin(job, 'r')
    expect(stamped).toEqual({ table: 't', id: 1, origin: 'r' })
    expect(job).toEqual({ table: 't', id: 1 })
    const own = { table: 't', id: 1, origin: 'own' }
    expect(withOrigin(own, 'r')).toBe(own)
    expect(withOrigin(job, undefined)).toBe(job)
  })
})
