// Where logwrite is in memlogd's stream, kept across restarts.
//
// Against diagkit's memlogd the cursor is exact: (instance, seq of the last
// entry consumed), handed back in resume mode, which replies with everything
// after it (or the whole ring of a restarted daemon, whose instance differs).
//
// A LinuxKit memlogd has neither seq nor resume, only dump+follow of the
// whole ring. The fallback cursor is time based: the greatest entry time
// consumed and how many consumed entries carry exactly that time. On
// reconnect, the ring's entries older than that time, and the first `sameTime`
// entries at that time, were written before and are skipped; the first entry
// past them ends skipping for the rest of the connection. This is exact as
// long as the daemon's clock does not step back between two of its entries
// (memlogd stamps lines as it reads them), and a restarted daemon's ring,
// being newer, is written whole. Matching on (time, source, msg) instead would
// fail once the cursor entry has left the ring, which is exactly when a gap
// must be avoided.

import fs from 'node:fs'

export interface Cursor {
  /** memlogd instance the seq belongs to; '' when unknown. */
  instance: string
  /** seq of the last entry consumed from that instance; 0 = none. */
  seq: number
  /** Fallback: greatest entry time consumed ('' = none), as the daemon wrote it. */
  time: string
  /** Fallback: how many consumed entries had exactly that time. */
  sameTime: number
}

export function emptyCursor(): Cursor {
  return {instance: '', seq: 0, time: '', sameTime: 0}
}

const TIME_RE = /^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d)(?:\.(\d{1,9})\d*)?([Zz]|[+-]\d\d:\d\d)$/

/** RFC 3339 time as [seconds since the epoch, nanoseconds], or undefined when it does not parse. */
export function parseTime(s: string): [number, number] | undefined {
  const m = TIME_RE.exec(s)
  if (!m) return undefined
  const ms = Date.parse(`${m[1].replace(/[t ]/, 'T')}${m[3].toUpperCase()}`)
  if (Number.isNaN(ms)) return undefined
  return [Math.floor(ms / 1000), Number((m[2] ?? '').padEnd(9, '0'))]
}

/** Compares two parsed times: negative, 0 or positive. */
export function compareTime(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]
}

const RECORD_SIZE = 512
const MAX_INSTANCE = 200

/** Parses a state file's text; undefined when it is not a valid cursor. */
export function decodeCursor(text: string): Cursor | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  const ok =
    typeof o.instance === 'string' &&
    Number.isSafeInteger(o.seq) &&
    (o.seq as number) >= 0 &&
    typeof o.time === 'string' &&
    Number.isSafeInteger(o.sameTime) &&
    (o.sameTime as number) >= 0
  if (!ok) return undefined
  return {instance: o.instance as string, seq: o.seq as number, time: o.time as string, sameTime: o.sameTime as number}
}

/** The state file's fixed-size record: JSON padded with spaces, so each save is one pwrite at offset 0. */
export function encodeCursor(c: Cursor): Buffer {
  // An instance id too long for the record is not kept: the next start then
  // reads the whole ring (duplicates are possible, a gap is not).
  const instance = c.instance.length <= MAX_INSTANCE ? c.instance : ''
  const time = c.time.length <= 64 ? c.time : ''
  const json = JSON.stringify({instance, seq: instance === '' ? 0 : c.seq, time, sameTime: time === '' ? 0 : c.sameTime})
  const buf = Buffer.alloc(RECORD_SIZE, 0x20)
  const n = buf.write(json, 0, 'utf8')
  if (n < Buffer.byteLength(json)) return encodeCursor({...c, instance: '', time: ''})
  buf[RECORD_SIZE - 1] = 0x0a
  return buf
}

function cursorKey(c: Cursor): string {
  return `${c.instance}\n${c.seq}\n${c.time}\n${c.sameTime}`
}

/**
 * The cursor's file. Saving overwrites one record in place (one pwrite, no
 * new blocks needed, so it keeps working on a full file system once created).
 */
export class StateFile {
  private fd = -1
  private last = ''

  constructor(readonly path: string, private readonly mode = 0o644) {}

  /** Reads the saved cursor: undefined when there is none; throws a message when the file is unusable. */
  load(): Cursor | undefined {
    let text: string
    try {
      text = fs.readFileSync(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    if (text.trim() === '') return undefined
    const c = decodeCursor(text.trim())
    if (c === undefined) throw new Error(`state file ${this.path} is not a logwrite cursor`)
    this.last = cursorKey(c)
    return c
  }

  /** Writes the cursor when it changed; throws on I/O errors (the caller reports them). */
  save(c: Cursor): void {
    const key = cursorKey(c)
    if (key === this.last) return
    if (this.fd < 0) {
      const fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT, this.mode)
      try {
        fs.ftruncateSync(fd, RECORD_SIZE)
      } catch (error) {
        fs.closeSync(fd)
        throw error
      }
      this.fd = fd
    }
    const buf = encodeCursor(c)
    fs.writeSync(this.fd, buf, 0, buf.length, 0)
    this.last = key
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd)
      } catch {
        // nothing to do about a failed close of a small state file
      }
      this.fd = -1
    }
  }
}
