// --level, --facility and --since: names as dmesg(1) and syslog(3) spell them.
import type {KmsgRecord} from './record.js'
import {recordTimeNs} from './time.js'

export const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const
const LEVEL_ALIASES: Record<string, number> = {panic: 0, error: 3, warning: 4}

export const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'res0', 'res1', 'res2', 'res3',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const
const FACILITY_ALIASES: Record<string, number> = {security: 4}

export class FilterError extends Error {
  override name = 'FilterError'
}

function lookup(word: string, names: readonly string[], aliases: Record<string, number>, what: string): number {
  const w = word.toLowerCase()
  if (/^[0-9]+$/.test(w)) {
    const n = Number(w)
    if (n < names.length) return n
  } else {
    const i = names.indexOf(w)
    if (i >= 0) return i
    if (w in aliases) return aliases[w]
  }
  throw new FilterError(`unknown ${what} ${JSON.stringify(word)} (one of: ${names.join(', ')})`)
}

/**
 * "err,warn" selects exactly those; "err+" adds the more severe levels
 * (crit, alert, emerg), "+err" the less severe ones — as dmesg --level.
 */
export function parseLevels(spec: string): Set<number> {
  const out = new Set<number>()
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (part === '') throw new FilterError(`empty level in ${JSON.stringify(spec)}`)
    if (part.length > 1 && part.endsWith('+')) {
      const lv = lookup(part.slice(0, -1), LEVEL_NAMES, LEVEL_ALIASES, 'level')
      for (let i = 0; i <= lv; i++) out.add(i)
    } else if (part.length > 1 && part.startsWith('+')) {
      const lv = lookup(part.slice(1), LEVEL_NAMES, LEVEL_ALIASES, 'level')
      for (let i = lv; i < LEVEL_NAMES.length; i++) out.add(i)
    } else {
      out.add(lookup(part, LEVEL_NAMES, LEVEL_ALIASES, 'level'))
    }
  }
  return out
}

export function parseFacilities(spec: string): Set<number> {
  const out = new Set<number>()
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (part === '') throw new FilterError(`empty facility in ${JSON.stringify(spec)}`)
    out.add(lookup(part, FACILITY_NAMES, FACILITY_ALIASES, 'facility'))
  }
  return out
}

const UNIT_NS: Record<string, bigint> = {
  s: 1_000_000_000n, sec: 1_000_000_000n, m: 60_000_000_000n, min: 60_000_000_000n,
  h: 3_600_000_000_000n, d: 86_400_000_000_000n, ms: 1_000_000n,
}
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/i

/**
 * --since: an RFC 3339 / ISO time ("2026-12-03T15:20:56.5Z"; no zone = local),
 * or a duration ago ("90s", "10m", "2h", "1d", optionally "… ago"). Unix ns.
 */
export function parseSince(spec: string, nowNs: bigint): bigint {
  const s = spec.trim()
  const rel = /^(\d+)\s*(ms|s|sec|m|min|h|d)(?:\s+ago)?$/i.exec(s)
  if (rel) return nowNs - BigInt(rel[1]) * UNIT_NS[rel[2].toLowerCase()]
  const abs = RFC3339.exec(s)
  if (abs) {
    const base = Date.parse(`${abs[1]}T${abs[2]}${abs[4] ?? ''}`)
    if (!Number.isNaN(base)) {
      const frac = BigInt((abs[3] ?? '').padEnd(9, '0') || '0')
      return BigInt(base) * 1_000_000n + frac
    }
  }
  throw new FilterError(`--since ${JSON.stringify(spec)} is not a time (2026-12-03T15:20:56Z) or a duration ago (10m, 2h, 1d)`)
}

export interface RecordFilter {
  levels?: Set<number>
  facilities?: Set<number>
  /** Unix ns: keep records at or after. */
  sinceNs?: bigint
  bootTimeNs?: bigint
}

/** diagkit's own "records lost" records always pass: they are about the stream, not the kernel. */
export function matches(r: KmsgRecord, f: RecordFilter): boolean {
  if (r.lost) return true
  if (f.levels && !f.levels.has(r.level)) return false
  if (f.facilities && !f.facilities.has(r.facility)) return false
  if (f.sinceNs !== undefined && recordTimeNs(r.usec, f.bootTimeNs ?? 0n) < f.sinceNs) return false
  return true
}

export function hasFilter(f: RecordFilter): boolean {
  return f.levels !== undefined || f.facilities !== undefined || f.sinceNs !== undefined
}
