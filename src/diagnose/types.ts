// Shared shapes of the report: collectors, their outcomes, the files they add.

export type CollectorStatus = 'failed' | 'ok' | 'skipped' | 'timed-out'

/** One file in the zip, as recorded in the manifest. */
export interface FileRecord {
  name: string
  collector: string
  /** Bytes stored (after redaction and truncation). */
  bytes: number
  sha256: string
  /** The per-file cap cut older data away (or the collector was stopped mid-file). */
  truncated: boolean
  /** Size of the original when truncated and known. */
  originalBytes?: number
  /** How many values were redacted in this file. */
  redactions: number
  /** A read error part-way through: the entry holds what was read before it. */
  error?: string
  /** Where it came from on disk, when it is a copy of a file. */
  source?: string
}

export interface AddOptions {
  /** Default: the report's redaction setting. */
  redact?: boolean
  /** Already compressed data (e.g. .gz): stored, not deflated again. */
  store?: boolean
  truncated?: boolean
  originalBytes?: number
  source?: string
}

/** Facts a collector found that belong in summary.txt. */
export interface Findings {
  kernelProblems: string[]
  memlogd?: {entries: number; lostReports: number; lostLines: number; ringWrapped?: number; seqKnown: boolean; malformed: number}
  nearlyFull: {mount: string; usedPercent: number; kind: 'inodes' | 'space'; detail: string}[]
}

export interface CollectorContext {
  readonly name: string
  /** Aborted at the collector's timeout, the overall deadline or an interrupt. */
  readonly signal: AbortSignal
  readonly maxFileSize: number
  readonly findings: Findings
  /** Adds a file from memory. Ignored once the collector has been given up on. */
  addBuffer(name: string, data: Buffer | string, opts?: AddOptions): FileRecord | undefined
  /** Adds a streamed file; resolves when it has been written. The iterable may throw: that ends the entry and is recorded. */
  addStream(name: string, chunks: AsyncIterable<Buffer>, opts?: AddOptions): Promise<FileRecord | undefined>
  /** Redacts a message (error text, command line) when redaction is on. */
  clean(text: string): string
  /** Whether redaction is on. */
  readonly redacting: boolean
  /** Redacts a byte stream (for data transformed before it is added, e.g. recompressed); count() once consumed. */
  redactStream(chunks: AsyncIterable<Buffer>): {chunks: AsyncIterable<Buffer>; count(): number}
}

export interface CollectorOutcome {
  /** Default 'ok'; 'failed' lets a collector keep its files yet report a failure (a non-zero exit). */
  status?: 'failed' | 'ok'
  error?: string
  details?: Record<string, unknown>
}

export interface Collector {
  name: string
  /** Overrides the default per-collector timeout. */
  timeoutMs?: number
  run(ctx: CollectorContext): Promise<CollectorOutcome | void>
}

/** Thrown by a collector that has nothing to collect on this machine (memlogd not running...). */
export class SkipCollector extends Error {
  override name = 'SkipCollector'
}

export interface CollectorResult {
  name: string
  status: CollectorStatus
  startedAt: string
  durationMs: number
  bytes: number
  truncated: boolean
  error?: string
  files: string[]
  details?: Record<string, unknown>
}
