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
//
// The state file (--state-file) is one fixed record of exactly 512 bytes:
//
//   {"logwrite-cursor":1,"instance":"<id>","seq":<n>,"time":"<rfc3339>","sameTime":<n>}
//   then spaces up to byte 510, then "\n" at byte 511.
//
// The "logwrite-cursor" key (format version 1) comes first and marks the file
// as logwrite's: a file without it is never written to (diagkit before the key
// existed wrote the same record without it; such a record is still read, when
// it is exactly that and nothing else). The fixed size lets every save be a
// single pwrite() at offset 0 of the whole record: no truncate, no new blocks
// (so saving keeps working on a full file system), and a shorter record
// overwrites every byte of a longer one. A 512-byte write at offset 0 is one
// sector, so even a power cut leaves the old record or the new one. The file is
// created whole (written under a temporary name, then hard-linked into place),
// so it never exists empty or half-written. A file that starts with the key but
// does not decode is logwrite's own, damaged: it is reported and rewritten, and
// the whole ring is written again (duplicates are possible, a gap is not).

import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

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

/** Size of the state file's record. */
export const RECORD_SIZE = 512
const MAX_INSTANCE = 200
const MAGIC_KEY = 'logwrite-cursor'
const MAGIC_PREFIX = `{"${MAGIC_KEY}":`
const FORMAT_VERSION = 1
const LEGACY_KEYS = 'instance,sameTime,seq,time'

function validFields(o: Record<string, unknown>): boolean {
  return (
    typeof o.instance === 'string' &&
    Number.isSafeInteger(o.seq) &&
    (o.seq as number) >= 0 &&
    typeof o.time === 'string' &&
    Number.isSafeInteger(o.sameTime) &&
    (o.sameTime as number) >= 0
  )
}

/**
 * Parses the JSON of a cursor record (without its padding); undefined when it
 * is not one: the current format, or the legacy one with exactly its four keys.
 */
export function decodeCursor(text: string): Cursor | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined
  const o = v as Record<string, unknown>
  if (MAGIC_KEY in o) {
    if (o[MAGIC_KEY] !== FORMAT_VERSION || Object.keys(o).length !== 5) return undefined
  } else if (Object.keys(o).sort().join(',') !== LEGACY_KEYS) {
    return undefined
  }
  if (!validFields(o)) return undefined
  return {instance: o.instance as string, seq: o.seq as number, time: o.time as string, sameTime: o.sameTime as number}
}

/** The state file's record (see the top of this file): always RECORD_SIZE bytes. */
export function encodeCursor(c: Cursor): Buffer {
  // An instance id too long for the record is not kept: the next start then
  // reads the whole ring (duplicates are possible, a gap is not).
  const instance = c.instance.length <= MAX_INSTANCE ? c.instance : ''
  const time = c.time.length <= 64 ? c.time : ''
  const json = JSON.stringify({[MAGIC_KEY]: FORMAT_VERSION, instance, seq: instance === '' ? 0 : c.seq, time, sameTime: time === '' ? 0 : c.sameTime})
  if (Buffer.byteLength(json) > RECORD_SIZE - 1) return encodeCursor({...c, instance: '', time: ''})
  const buf = Buffer.alloc(RECORD_SIZE, 0x20)
  buf.write(json, 0, 'utf8')
  buf[RECORD_SIZE - 1] = 0x0a
  return buf
}

export type RecordKind = 'cursor' | 'damaged' | 'foreign'

/**
 * What a state file's bytes are: a cursor record; logwrite's own record,
 * damaged (it starts with the format key); or anything else ('foreign',
 * including an empty file), which logwrite must not overwrite.
 */
export function classifyRecord(bytes: Buffer): {kind: RecordKind; cursor?: Cursor} {
  const ours = bytes.subarray(0, MAGIC_PREFIX.length).toString('latin1') === MAGIC_PREFIX
  if (bytes.length === RECORD_SIZE && bytes[RECORD_SIZE - 1] === 0x0a) {
    const body = bytes.toString('utf8', 0, RECORD_SIZE - 1)
    const json = body.trimEnd()
    // Only spaces may follow the JSON: anything else means a torn or foreign record.
    if (!/[^ ]/.test(body.slice(json.length))) {
      const cursor = decodeCursor(json)
      if (cursor) return {kind: 'cursor', cursor}
    }
  }
  return {kind: ours ? 'damaged' : 'foreign'}
}

function cursorKey(c: Cursor): string {
  return `${c.instance}\n${c.seq}\n${c.time}\n${c.sameTime}`
}

/** The state file cannot be used: the message says why and what to do (a start-up error). */
export class StateFileError extends Error {
  override name = 'StateFileError'
}

export interface OpenedState {
  /** The saved cursor; undefined for a new (or damaged) state file. */
  cursor?: Cursor
  created: boolean
  /** It was logwrite's record but did not decode: it will be rewritten. */
  damaged: boolean
}

function codeText(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  const names: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
    ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', ENOTDIR: 'a path component is not a directory',
    ENAMETOOLONG: 'name too long', ENOENT: 'no such file or directory', ELOOP: 'too many symbolic links', EIO: 'I/O error',
  }
  return typeof e?.code === 'string' ? `${e.code} (${names[e.code] ?? e.message})` : String((error as Error)?.message ?? error)
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

// Hard links may be missing (vfat, some FUSE file systems): then the record is
// created in place, exclusively.
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])

/**
 * The cursor's file. Opened (and created) at start-up, so that a path logwrite
 * cannot use is refused before anything is written; then each save overwrites
 * the one record in place.
 */
export class StateFile {
  private fd = -1
  private last = ''

  /** `label` names the file in messages, e.g. "--state-file /x/y". */
  constructor(readonly path: string, readonly label = `state file ${path}`, private readonly mode = 0o644) {}

  /** Opens the state file for saving, creating it when missing; throws StateFileError when it cannot be used. */
  open(): OpenedState {
    if (this.fd >= 0) throw new Error('state file already open')
    // stat before open: opening some devices read-write has effects of its own.
    let st: fs.Stats
    try {
      st = fs.statSync(this.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.openError(error)
      if (fs.lstatSync(this.path, {throwIfNoEntry: false})?.isSymbolicLink()) {
        throw new StateFileError(`${this.label} is a symbolic link to nothing; remove it or choose another path`)
      }
      return this.create()
    }
    if (st.isDirectory()) throw new StateFileError(`${this.label} is a directory; choose a file path`)
    if (!st.isFile()) throw new StateFileError(`${this.label} exists and is not a logwrite cursor; remove it or choose another path`)
    let fd: number
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDWR)
    } catch (error) {
      throw this.openError(error)
    }
    return this.adopt(fd)
  }

  private openError(error: unknown): StateFileError {
    return new StateFileError(`cannot open ${this.label} for reading and writing: ${codeText(error)}`)
  }

  /** Checks an existing file: only logwrite's own record is ever written over. */
  private adopt(fd: number): OpenedState {
    try {
      const st = fs.fstatSync(fd)
      if (!st.isFile() || st.size > 64 * 1024) throw new StateFileError(`${this.label} exists and is not a logwrite cursor; remove it or choose another path`)
      const bytes = Buffer.alloc(st.size)
      let off = 0
      while (off < bytes.length) {
        const n = fs.readSync(fd, bytes, off, bytes.length - off, off)
        if (n === 0) break
        off += n
      }
      const {kind, cursor} = classifyRecord(bytes.subarray(0, off))
      if (kind === 'foreign') throw new StateFileError(`${this.label} exists and is not a logwrite cursor; remove it or choose another path`)
      this.fd = fd
      if (kind === 'damaged') {
        // Ours: rewrite it whole now, so a later save cannot leave stray bytes past the record.
        this.writeRecord(emptyCursor())
        if (st.size !== RECORD_SIZE) fs.ftruncateSync(fd, RECORD_SIZE)
        return {created: false, damaged: true}
      }
      this.last = cursorKey(cursor!)
      return {cursor, created: false, damaged: false}
    } catch (error) {
      this.fd = -1
      fs.closeSync(fd)
      if (error instanceof StateFileError) throw error
      throw new StateFileError(`cannot use ${this.label}: ${codeText(error)}`)
    }
  }

  /** Creates the file whole: the record is written under a temporary name, then linked into place. */
  private create(): OpenedState {
    const dir = path.dirname(this.path)
    const tmp = path.join(dir, `.logwrite-cursor.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    let fd: number
    try {
      fd = fs.openSync(tmp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, this.mode)
    } catch (error) {
      throw this.createError(error, dir)
    }
    try {
      try {
        this.fd = fd
        this.writeRecord(emptyCursor())
        fs.fchmodSync(fd, this.mode)
      } catch (error) {
        throw this.createError(error, dir)
      }
      try {
        fs.linkSync(tmp, this.path)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EEXIST') {
          // Someone created it meanwhile: check theirs like any existing file.
          this.fd = -1
          fs.closeSync(fd)
          return this.open()
        }
        if (!NO_LINKS.has(code ?? '')) throw this.createError(error, dir)
        this.fd = -1
        fs.closeSync(fd)
        return this.createInPlace(dir)
      }
    } catch (error) {
      if (this.fd === fd) {
        this.fd = -1
        fs.closeSync(fd)
      }
      throw error
    } finally {
      try {
        fs.unlinkSync(tmp)
      } catch {
        // already gone or never linked: nothing to clean
      }
    }
    return {created: true, damaged: false}
  }

  private createInPlace(dir: string): OpenedState {
    let fd: number
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, this.mode)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return this.open()
      throw this.createError(error, dir)
    }
    try {
      this.fd = fd
      this.writeRecord(emptyCursor())
    } catch (error) {
      this.fd = -1
      fs.closeSync(fd)
      fs.rmSync(this.path, {force: true})
      throw this.createError(error, dir)
    }
    return {created: true, damaged: false}
  }

  private createError(error: unknown, dir: string): StateFileError {
    const code = (error as NodeJS.ErrnoException).code
    // ENOENT also comes from directories where nothing can be created (/proc/<pid>).
    if (code === 'ENOENT' && !isDirectory(dir)) {
      return new StateFileError(`cannot create ${this.label}: directory ${dir} does not exist`)
    }
    return new StateFileError(`cannot create ${this.label}: ${codeText(error)}`)
  }

  private writeRecord(c: Cursor): void {
    const buf = encodeCursor(c)
    const n = fs.writeSync(this.fd, buf, 0, buf.length, 0)
    // A short write of 512 bytes to a regular file does not happen short of an error; make sure.
    if (n !== buf.length) throw Object.assign(new Error(`short write (${n} of ${buf.length} bytes)`), {code: 'EIO'})
    this.last = cursorKey(c)
  }

  /** Writes the cursor when it changed; throws on I/O errors (the caller reports them). */
  save(c: Cursor): void {
    if (this.fd < 0) throw new Error('state file not open')
    if (cursorKey(c) === this.last) return
    this.writeRecord(c)
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
