// `diagkit diagnose` as a library: collect everything worth seeing into one
// zip, <out-dir>/<host UUID>/<UTC YYYYMMDDHHMMSS>.zip, with manifest.json and
// summary.txt at the root. Knows nothing of oclif.

import {setMaxListeners} from 'node:events'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {DEFAULT_QUERY_SOCKET} from '../protocol/constants.js'
import {extraCollectors} from './collectors/extra-set.js'
import {kmsgCollector} from './collectors/kmsg.js'
import {logFilesCollector} from './collectors/log-files.js'
import {memlogdCollector} from './collectors/memlogd.js'
import {systemCollectors} from './collectors/system.js'
import {hostUuid, type HostUuidOptions} from './host-uuid.js'
import {type Manifest, buildManifest} from './manifest.js'
import {reportTimestamp} from './names.js'
import {defaultRules, Redactor, userRule} from './redact.js'
import {ReportWriter} from './report-writer.js'
import {fmtSeconds, runCollectors} from './runner.js'
import {buildSummary} from './summary.js'
import {cutToLineStart} from './tail.js'
import type {Collector, CollectorContext, CollectorResult, Findings} from './types.js'

export {RedactRuleError} from './redact.js'
export type {Collector, CollectorContext, CollectorResult, FileRecord} from './types.js'
export type {Manifest} from './manifest.js'
export {SkipCollector} from './types.js'
export {NAME_PATTERN} from './names.js'

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024
export const DEFAULT_TIMEOUT_MS = 120_000
export const DEFAULT_COLLECTOR_TIMEOUT_MS = 30_000

export interface DiagnoseOptions {
  /** Default: a fresh private temporary directory. */
  outDir?: string
  socketPath?: string
  logDir?: string
  kmsgDevice?: string
  includes?: string[]
  commands?: {name: string; command: string}[]
  redact?: boolean
  redactRules?: string[]
  maxFileSize?: number
  timeoutMs?: number
  collectorTimeoutMs?: number
  /** Collector names (or prefixes ending in '/', e.g. system/) not to run. */
  skip?: string[]
  /** Replaces the built-in collectors (tests); --include/--command ones are still added. */
  collectors?: Collector[]
  /** The tool's command line, recorded (redacted) in the manifest. */
  argv?: string[]
  version?: string
  /** Aborting (Ctrl-C) stops everything and deletes the partial report. */
  signal?: AbortSignal
  onProgress?(event: ProgressEvent): void
  now?(): Date
  host?: HostUuidOptions
  /** Deflate level, default 6. */
  level?: number
}

export type ProgressEvent =
  | {kind: 'end'; result: CollectorResult}
  | {kind: 'phase'; text: string}
  | {kind: 'start'; name: string}

export interface DiagnoseResult {
  id: string
  path: string
  bytes: number
  sha256: string
  manifest: Manifest
  summary: string
}

/** The run was interrupted; nothing was left behind. */
export class DiagnoseInterrupted extends Error {
  override name = 'DiagnoseInterrupted'
  constructor(readonly reason: string) {
    super(`interrupted (${reason}): no report written`)
  }
}

export function builtinCollectors(opts: DiagnoseOptions): Collector[] {
  return [
    memlogdCollector({socketPath: opts.socketPath ?? DEFAULT_QUERY_SOCKET}),
    // The file copy moves the most data: bounded by the overall deadline rather than the per-collector timeout.
    logFilesCollector({logDir: opts.logDir ?? '/var/log', timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS}),
    kmsgCollector({device: opts.kmsgDevice}),
    ...systemCollectors(),
  ]
}

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith('/') ? name.startsWith(pattern) : name === pattern
}

/** A --skip that names no collector: most likely a typo, which would silently skip nothing. */
export class UnknownSkipError extends Error {
  override name = 'UnknownSkipError'
}

/** The collectors left after `skip`; throws UnknownSkipError for a pattern that matches none. */
export function selectCollectors(all: Collector[], skip: string[]): Collector[] {
  for (const pattern of skip) {
    if (!all.some((c) => matches(c.name, pattern))) {
      const groups = [...new Set(all.map((c) => (c.name.includes('/') ? `${c.name.split('/')[0]}/` : c.name)))]
      throw new UnknownSkipError(`--skip ${JSON.stringify(pattern)}: no such collector (collectors: ${groups.join(', ')}; a group such as "system/" or one name such as "system/uname")`)
    }
  }
  return all.filter((c) => !skip.some((pattern) => matches(c.name, pattern)))
}

export async function diagnose(opts: DiagnoseOptions = {}): Promise<DiagnoseResult> {
  const now = opts.now ?? (() => new Date())
  const redactEnabled = opts.redact ?? true
  // Bad --redact patterns fail before anything is written.
  const userRules = (opts.redactRules ?? []).map((r) => userRule(r))
  const redactor = redactEnabled ? new Redactor([...defaultRules(), ...userRules]) : undefined
  const clean = (s: string) => (redactor ? redactor.clean(s) : s)
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const skip = opts.skip ?? []

  // Checked before anything is written: a mistyped --skip is a usage error.
  const collectors = selectCollectors(
    [...(opts.collectors ?? builtinCollectors(opts)), ...extraCollectors(opts.includes ?? [], opts.commands ?? [])],
    skip,
  )

  const host = await hostUuid(opts.host)
  let createdOutDir: string | undefined
  let outDir = opts.outDir
  if (outDir === undefined) {
    createdOutDir = await fs.mkdtemp(path.join(os.tmpdir(), 'diagkit-'))
    outDir = createdOutDir
  }
  const reportDir = path.join(outDir, host.uuid)
  const reportDirExisted = await fs.stat(reportDir).then(
    () => true,
    () => false,
  )
  const start = now()
  const writer = await ReportWriter.open({dir: reportDir, baseName: reportTimestamp(start), redactor, date: start, level: opts.level})
  const id = `${host.uuid}/${writer.baseName}`

  // One controller for the deadline and the interrupt; collectors hang off it.
  const stopAll = new AbortController()
  // Every collector listens on it.
  setMaxListeners(0, stopAll.signal)
  let interrupted: string | undefined
  const cleanup = async () => {
    await writer.abort()
    if (!reportDirExisted) await fs.rmdir(reportDir).catch(() => {})
    if (createdOutDir) await fs.rmdir(createdOutDir).catch(() => {})
  }
  const onInterrupt = () => {
    interrupted = String((opts.signal?.reason as Error | undefined)?.message ?? opts.signal?.reason ?? 'interrupted')
    stopAll.abort(new Error('interrupted'))
    void writer.abort()
  }
  if (opts.signal?.aborted) onInterrupt()
  else opts.signal?.addEventListener('abort', onInterrupt, {once: true})
  const deadline = setTimeout(() => stopAll.abort(new Error(`overall deadline of ${fmtSeconds(timeoutMs)} reached`)), timeoutMs)

  try {
    const findings: Findings = {kernelProblems: [], nearlyFull: []}
    const results = await runCollectors(collectors, {
      timeoutMs: opts.collectorTimeoutMs ?? DEFAULT_COLLECTOR_TIMEOUT_MS,
      signal: stopAll.signal,
      clean,
      onStart: (name) => opts.onProgress?.({kind: 'start', name}),
      onEnd: (result) => opts.onProgress?.({kind: 'end', result}),
      context: (c, signal, isOpen) => makeContext(c, signal, isOpen, writer, findings, maxFileSize, redactor),
    })
    if (interrupted) throw new DiagnoseInterrupted(interrupted)
    clearTimeout(deadline)

    for (const r of results) {
      const files = writer.files.filter((f) => f.collector === r.name)
      r.files = files.map((f) => f.name)
      r.bytes = files.reduce((n, f) => n + f.bytes, 0)
      r.truncated = files.some((f) => f.truncated)
      // A file that failed part-way fails an otherwise fine collector.
      const broken = files.find((f) => f.error)
      if (broken && r.status === 'ok') {
        r.status = 'failed'
        r.error = clean(`${broken.name}: ${broken.error}`)
      }
    }

    opts.onProgress?.({kind: 'phase', text: 'writing report'})
    const end = now()
    const kernel = `${os.type()} ${os.release()} ${os.version()}`
    const redactedFiles = writer.files.filter((f) => f.redactions > 0)
    const root = process.getuid?.() === 0
    const summary = buildSummary(results, findings, {
      id,
      hostname: os.hostname(),
      kernel,
      start,
      end,
      root,
      ...(redactor ? {redactionTotal: redactedFiles.reduce((n, f) => n + f.redactions, 0), redactedFiles: redactedFiles.length} : {}),
    })
    writer.addBuffer('report', 'summary.txt', summary)
    const manifest = buildManifest({
      id,
      version: opts.version ?? 'unknown',
      host,
      kernel,
      root,
      start,
      end,
      argv: (opts.argv ?? []).map((a) => clean(a)),
      redaction: redactor ? {enabled: true, rules: redactor.rules.map((r) => r.name)} : {enabled: false, rules: []},
      options: {maxFileSize, timeoutMs, collectorTimeoutMs: opts.collectorTimeoutMs ?? DEFAULT_COLLECTOR_TIMEOUT_MS},
      results,
      files: writer.files,
    })
    writer.addBuffer('report', 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`, {redact: false})
    // An interrupt after this point is too late to matter: the report is complete and kept.
    const written = await writer.finalize()
    return {id, path: written.path, bytes: written.bytes, sha256: written.sha256, manifest, summary}
  } catch (error) {
    clearTimeout(deadline)
    await cleanup()
    if (interrupted) throw new DiagnoseInterrupted(interrupted)
    throw error
  } finally {
    opts.signal?.removeEventListener('abort', onInterrupt)
  }
}

function makeContext(
  c: Collector,
  signal: AbortSignal,
  isOpen: () => boolean,
  writer: ReportWriter,
  findings: Findings,
  maxFileSize: number,
  redactor: Redactor | undefined,
): CollectorContext {
  return {
    name: c.name,
    signal,
    maxFileSize,
    findings,
    redacting: redactor !== undefined,
    clean: (s) => (redactor ? redactor.clean(s) : s),
    addBuffer(name, data, opts = {}) {
      if (!isOpen()) return undefined
      let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
      let extra = {}
      if (buf.length > maxFileSize) {
        // The generic cap for whatever a collector holds in memory: newest data, whole lines.
        extra = {truncated: true, originalBytes: opts.originalBytes ?? buf.length}
        buf = cutToLineStart(buf.subarray(buf.length - maxFileSize), buf[buf.length - maxFileSize - 1] === 10)
      }
      return writer.addBuffer(c.name, name, buf, {...opts, ...extra})
    },
    async addStream(name, chunks, opts) {
      if (!isOpen()) return undefined
      return writer.addStream(c.name, name, chunks, opts)
    },
    redactStream(chunks) {
      if (!redactor) return {chunks, count: () => 0}
      const lines = redactor.stream()
      async function* gen(): AsyncGenerator<Buffer> {
        for await (const chunk of chunks) {
          const out = lines.push(chunk)
          if (out.length > 0) yield out
        }
        const rest = lines.end()
        if (rest.length > 0) yield rest
      }
      return {chunks: gen(), count: () => lines.count}
    },
  }
}
