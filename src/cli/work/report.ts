import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDemoRedis, openMysqlPool } from '../../demo/services.js'
import { readMeter } from '../../meter/read.js'
import { summarize } from '../../report/amplification.js'
import { renderReport, type ReportFormat } from '../../report/files.js'
import { renderShadowHtml } from '../../report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../../report/shadow-markdown.js'
import { buildShadowReport, type ShadowReport } from '../../report/shadow-model.js'
import { loadShadowData } from '../../report/shadow-query.js'
import type { ReadinessPolicy } from '../../report/shadow-verdict.js'
import { MYSQL_URL_SETTING } from './db.js'

export interface AmplificationRequest {
  redisUrl: string
  prefix: string
  bucketSeconds: number
  window: { from: number; to: number }
  title: string
  format: ReportFormat
}

/** The amplification report of a window, rendered; `empty` when the meter had no data in it. */
export async function amplificationReport(r: AmplificationRequest): Promise<{ text: string; empty: boolean }> {
  const redis = await openDemoRedis(r.redisUrl, '--redis-url (or REDIS_URL)')
  try {
    const reading = await readMeter({ redis, prefix: r.prefix, bucketSeconds: r.bucketSeconds, ...r.window })
    const report = { title: r.title, generatedAt: new Date().toISOString(), phases: [summarize(reading, { label: r.prefix })] }
    return { text: renderReport(report, r.format), empty: reading.dataFrom === undefined }
  } finally {
    redis.disconnect()
  }
}

export const SHADOW_FORMATS = ['html', 'md', 'json'] as const
export type ShadowFormat = (typeof SHADOW_FORMATS)[number]

export interface ShadowReportRequest {
  url: string
  routes: string[]
  /** `to` null: up to now. */
  window: { from: number; to: number | null }
  now: number
  policy: ReadinessPolicy
  routePolicies: Record<string, ReadinessPolicy>
  baseUrl: string | undefined
}

/** Reads the shadow tables over a window and builds the report. */
export async function shadowReport(r: ShadowReportRequest): Promise<ShadowReport> {
  const pool = await openMysqlPool(r.url, MYSQL_URL_SETTING)
  try {
    const data = await loadShadowData(pool, { routes: r.routes, from: r.window.from, to: r.window.to })
    return buildShadowReport(data, {
      generatedAt: r.now,
      window: r.window,
      policy: r.policy,
      routePolicies: r.routePolicies,
      ...(r.baseUrl ? { baseUrl: r.baseUrl } : {}),
    })
  } finally {
    await pool.end()
  }
}

export const renderShadow: Record<ShadowFormat, (report: ShadowReport) => string> = {
  html: renderShadowHtml,
  md: renderShadowMarkdown,
  json: renderShadowJson,
}

/** Writes the report in each format under `dir`; resolves to the files written. */
export function writeShadowReport(report: ShadowReport, formats: readonly ShadowFormat[], dir: string, now: number): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
  return formats.map((f) => {
    const file = join(dir, `shadow-${stamp}.${f}`)
    writeFileSync(file, renderShadow[f](report))
    return file
  })
}
