// Turns device reads into records: one record per read, drained to EAGAIN
// (record by record, or in batches from one native call where the device can).
// EPIPE (records overwritten) and seq gaps become one synthetic "lost"
// record; EINVAL (record larger than the buffer) is a clear fatal error;
// other errors are thrown for the caller to reopen and resume after lastSeq.
import type {KmsgDevice} from './device.js'
import {KmsgParseError, parseKmsgRecordIn, type KmsgRecord} from './record.js'

export const DEFAULT_READ_BUFFER = 16 * 1024
/** Kernel's limit for one /dev/kmsg record (CONSOLE_EXT_LOG_MAX); smaller buffers lose records to EINVAL. */
export const MIN_READ_BUFFER = 8 * 1024

/** Facility and level of diagkit's own "records lost" record: syslog.warning. */
export const LOST_FACILITY = 5
export const LOST_LEVEL = 4

export class KmsgReadError extends Error {
  constructor(message: string, readonly code: string, override readonly cause?: unknown) {
    super(message)
    this.name = 'KmsgReadError'
  }
}

export interface ReaderOptions {
  bufferSize?: number
  /** Skip records with seq <= after (resuming from a state file); a gap after it is reported as lost. */
  after?: bigint
  /** A read that does not parse; the reader skips it and goes on. */
  onBadRecord?: (err: KmsgParseError) => void
}

export type DrainEnd = 'drained' | 'eof'

export function lostRecord(first: bigint | undefined, last: bigint, usec: bigint): KmsgRecord {
  let what: string
  if (first === undefined) what = `records lost before seq ${last + 1n}`
  else {
    const n = last - first + 1n
    what = n === 1n ? `1 record lost (seq ${first})` : `${n} records lost (seq ${first}-${last})`
  }
  return {
    seq: last,
    facility: LOST_FACILITY,
    level: LOST_LEVEL,
    usec,
    flags: '-',
    continuation: false,
    text: `diagkit kmsg: ${what}: overwritten in the kernel ring before they were read`,
    dict: {},
    lost: first === undefined ? {last} : {first, last},
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined
}

export class KmsgReader {
  /** Seq of the last kernel record delivered (never a synthetic one). */
  lastSeq: bigint | undefined
  /** lastSeq + 1 once a record was delivered (undefined before: the first record goes through deliver()). */
  private nextSeq: bigint | undefined
  private readonly buf: Buffer
  private after: bigint | undefined
  private overwritten = false

  constructor(private device: KmsgDevice, private readonly opts: ReaderOptions = {}) {
    const size = opts.bufferSize ?? DEFAULT_READ_BUFFER
    if (size < MIN_READ_BUFFER) throw new RangeError(`kmsg read buffer must be at least ${MIN_READ_BUFFER} bytes`)
    this.buf = Buffer.allocUnsafe(size)
    this.after = opts.after
  }

  /** Continues on a reopened device: records up to lastSeq are skipped, a gap is reported. */
  replaceDevice(device: KmsgDevice): void {
    this.device = device
    if (this.lastSeq !== undefined) this.after = this.lastSeq
  }

  /**
   * Reads until the device has nothing more (EAGAIN, or a 0-byte read = 'eof'),
   * calling onRecord for each record in order. Throws KmsgReadError on EINVAL;
   * rethrows any other read error after the records before it were delivered.
   */
  drain(onRecord: (r: KmsgRecord) => void): DrainEnd {
    if (this.device.readBatch) return this.drainBatches(onRecord)
    for (;;) {
      let n: number
      try {
        n = this.device.read(this.buf)
      } catch (error) {
        const code = errnoCode(error)
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'drained'
        if (code === 'EPIPE') {
          this.overwritten = true
          continue
        }
        if (code === 'EINTR') continue
        throw this.readError(error)
      }
      if (n === 0) return 'eof'
      const raw = this.buf.toString('latin1', 0, n)
      this.parseAndDeliver(raw, 0, raw.length, onRecord)
    }
  }

  /** drain() over readBatch: the same records, errors and lost records, from one native call per batch. */
  private drainBatches(onRecord: (r: KmsgRecord) => void): DrainEnd {
    for (;;) {
      const batch = this.device.readBatch!(this.buf.length)
      // One string for the batch; records are slices of it (no copy each).
      const text = batch.data.toString('latin1')
      const {ends, epipe} = batch
      let start = 0
      let e = 0
      for (let i = 0; i < ends.length; i++) {
        for (; e < epipe.length && epipe[e] <= i; e++) this.overwritten = true
        const end = ends[i]
        const rec = this.parse(text, start, end)
        start = end
        if (rec === undefined) continue
        // The common case, the record right after the last one with nothing
        // overwritten, needs none of deliver()'s checks.
        if (rec.seq === this.nextSeq && !this.overwritten) {
          this.lastSeq = rec.seq
          this.nextSeq = rec.seq + 1n
          onRecord(rec)
        } else {
          this.deliver(rec, onRecord)
        }
      }
      if (e < epipe.length) this.overwritten = true // EPIPE after the last record
      if (batch.end === 'more') continue
      if (batch.end === 'error') throw this.readError(batch.error)
      return batch.end
    }
  }

  /** EINVAL (a record too large for the buffer) as a clear KmsgReadError; other errors unchanged. */
  private readError(error: unknown): unknown {
    if (errnoCode(error) !== 'EINVAL') return error
    return new KmsgReadError(
      `read ${this.device.path}: EINVAL: a record did not fit the ${this.buf.length}-byte read buffer`,
      'EINVAL',
      error,
    )
  }

  /** The record text[start, end), or undefined for a bad record (reported, then skipped). */
  private parse(text: string, start: number, end: number): KmsgRecord | undefined {
    try {
      return parseKmsgRecordIn(text, start, end)
    } catch (error) {
      if (!(error instanceof KmsgParseError)) throw error
      this.opts.onBadRecord?.(error)
      return undefined
    }
  }

  /** Parses the record text[start, end) and delivers it; a bad record is reported and skipped. */
  private parseAndDeliver(text: string, start: number, end: number, onRecord: (r: KmsgRecord) => void): void {
    const rec = this.parse(text, start, end)
    if (rec !== undefined) this.deliver(rec, onRecord)
  }

  private deliver(rec: KmsgRecord, onRecord: (r: KmsgRecord) => void): void {
    const floor = this.lastSeq ?? this.after
    if (floor !== undefined && rec.seq <= floor) {
      this.overwritten = false // a reopened device starts over from the oldest record
      return
    }
    const expected = floor === undefined ? undefined : floor + 1n
    if (expected !== undefined && rec.seq > expected) onRecord(lostRecord(expected, rec.seq - 1n, rec.usec))
    else if (this.overwritten && expected === undefined && rec.seq > 0n) onRecord(lostRecord(undefined, rec.seq - 1n, rec.usec))
    this.overwritten = false
    this.lastSeq = rec.seq
    this.nextSeq = rec.seq + 1n
    onRecord(rec)
  }
}
