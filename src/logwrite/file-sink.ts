// One append-only file per source, written in batches: lines are queued per
// file as they arrive and each file's queue goes out in one write() when the
// caller flushes (once per chunk read from memlogd). Sizes are tracked in
// memory, so deciding to rotate costs no syscall; an external truncate or
// delete is noticed by a stat of the path, at most once per checkIntervalMs
// per file, compared with the inode logwrite has open.

import fs from 'node:fs'
import path from 'node:path'
import type {RateLimitedReporter} from './reporter.js'
import {deleteSurplus, rotateFiles} from './rotation.js'
import {activeFileName, safeFileName} from './safe-name.js'

export interface FileSinkOptions {
  dir: string
  /** Bytes; a write never makes the active file larger (a single longer line gets a file of its own). */
  maxSize: number
  /** Files per source counting the active one (>= 1). */
  maxFiles: number
  compress?: boolean
  /** Open files kept at most; the least recently written is closed first. */
  maxOpen?: number
  mode?: number
  checkIntervalMs?: number
  /** After a failed rotation, lines are dropped (not written past the limit) for this long before retrying. */
  rotateRetryMs?: number
  reporter: RateLimitedReporter
  now?: () => number
}

export interface SinkStats {
  linesWritten: number
  linesDropped: number
  bytesWritten: number
  rotations: number
}

interface SourceFile {
  source: string
  safe: string
  path: string
  fd: number
  ino: number
  /** Bytes in the active file as far as logwrite knows (refreshed on open and on checks). */
  size: number
  pending: string[]
  pendingBytes: number
  lastCheck: number
  surplusChecked: boolean
  rotateBlockedUntil: number
}

const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND

export class FileSink {
  readonly stats: SinkStats = {linesWritten: 0, linesDropped: 0, bytesWritten: 0, rotations: 0}
  private readonly files = new Map<string, SourceFile>()
  /** Open files, least recently used first (Map keeps insertion order). */
  private readonly open = new Map<SourceFile, true>()
  private dirty: SourceFile[] = []
  private listing: Set<string> | undefined
  private readonly maxOpen: number
  private readonly mode: number
  private readonly checkIntervalMs: number
  private readonly rotateRetryMs: number
  private readonly now: () => number

  constructor(private readonly opts: FileSinkOptions) {
    if (!(opts.maxFiles >= 1) || !(opts.maxSize >= 1)) throw new RangeError('maxFiles and maxSize must be at least 1')
    this.maxOpen = Math.max(1, opts.maxOpen ?? 64)
    this.mode = opts.mode ?? 0o644
    this.checkIntervalMs = opts.checkIntervalMs ?? 1000
    this.rotateRetryMs = opts.rotateRetryMs ?? 1000
    this.now = opts.now ?? Date.now
  }

  /** Number of files currently open (for tests of the LRU bound). */
  get openCount(): number {
    return this.open.size
  }

  /** Queues one line (including its "\n") for the source's file; rotates first when it would not fit. */
  add(source: string, line: string): void {
    let f = this.files.get(source)
    if (f === undefined) f = this.track(source)
    const n = Buffer.byteLength(line, 'utf8')
    const used = f.size + f.pendingBytes
    if (used > 0 && used + n > this.opts.maxSize) {
      if (this.now() < f.rotateBlockedUntil) {
        this.drop(f, 1, 'rotation is failing')
        return
      }
      this.writeOut(f)
      if (!this.rotate(f)) {
        this.drop(f, 1, 'rotation is failing')
        return
      }
    }
    if (f.pending.length === 0) this.dirty.push(f)
    f.pending.push(line)
    f.pendingBytes += n
  }

  /** Writes every queued line: one write() per file. */
  flush(): void {
    const dirty = this.dirty
    this.dirty = []
    for (const f of dirty) this.writeOut(f)
  }

  /** SIGHUP: close every file; each is opened again (by path) at its next write. */
  reopen(): void {
    this.flush()
    for (const f of [...this.open.keys()]) this.closeFile(f)
    this.listing = undefined
  }

  close(): void {
    this.flush()
    for (const f of [...this.open.keys()]) this.closeFile(f)
  }

  private track(source: string): SourceFile {
    const safe = safeFileName(source)
    const f: SourceFile = {
      source,
      safe,
      path: path.join(this.opts.dir, activeFileName(safe)),
      fd: -1,
      ino: 0,
      size: 0,
      pending: [],
      pendingBytes: 0,
      lastCheck: this.now(),
      surplusChecked: false,
      rotateBlockedUntil: 0,
    }
    this.files.set(source, f)
    // Learn the current size now: rotation decisions are made as lines are queued.
    this.ensureOpen(f)
    return f
  }

  /** Opens the file when it is not; on failure reports it with `dropIfFails` lines not written. */
  private ensureOpen(f: SourceFile, dropIfFails = 0): boolean {
    if (f.fd >= 0) {
      this.open.delete(f)
      this.open.set(f, true)
      return true
    }
    try {
      if (!f.surplusChecked) this.removeSurplus(f)
      if (this.open.size >= this.maxOpen) {
        const lru = this.open.keys().next().value as SourceFile
        this.closeFile(lru)
      }
      const fd = fs.openSync(f.path, OPEN_FLAGS, this.mode)
      let st: fs.Stats
      try {
        st = fs.fstatSync(fd)
        // Same mode for every file whatever the umask or whoever created it.
        if ((st.mode & 0o7777) !== this.mode) fs.fchmodSync(fd, this.mode)
      } catch (error) {
        fs.closeSync(fd)
        throw error
      }
      f.fd = fd
      f.ino = st.ino
      f.size = st.size
      f.lastCheck = this.now()
      this.open.set(f, true)
      return true
    } catch (error) {
      this.fail(f, `cannot open ${f.path}`, error, dropIfFails)
      return false
    }
  }

  private removeSurplus(f: SourceFile): void {
    if (this.listing === undefined) {
      try {
        this.listing = new Set(fs.readdirSync(this.opts.dir))
      } catch {
        this.listing = new Set()
      }
    }
    deleteSurplus(this.opts.dir, this.listing, f.safe, this.opts.maxFiles)
    f.surplusChecked = true
  }

  private closeFile(f: SourceFile): void {
    if (f.fd >= 0) {
      try {
        fs.closeSync(f.fd)
      } catch {
        // close errors on a write-only file carry nothing we could act on
      }
    }
    f.fd = -1
    this.open.delete(f)
  }

  /** Notices a file deleted, replaced or truncated from outside. */
  private checkOutside(f: SourceFile): void {
    f.lastCheck = this.now()
    if (f.fd < 0) return
    let st: fs.Stats | undefined
    try {
      st = fs.statSync(f.path, {throwIfNoEntry: false})
    } catch {
      st = undefined
    }
    if (st === undefined || st.ino !== f.ino) {
      // Deleted or replaced: drop our fd to the old inode; the next open creates the file anew.
      this.closeFile(f)
      return
    }
    f.size = st.size
  }

  private drop(f: SourceFile, lines: number, why: string): void {
    this.stats.linesDropped += lines
    this.fail(f, `cannot write ${f.path}`, new Error(why), lines)
  }

  private fail(f: SourceFile, describe: string, error: unknown, dropped: number): void {
    this.opts.reporter.failure(f.path, describe, error, {dropped, again: `writing ${f.path} again`, file: true})
  }

  private rotate(f: SourceFile): boolean {
    this.closeFile(f)
    try {
      rotateFiles(this.opts.dir, f.safe, this.opts.maxFiles, this.opts.compress ?? false, this.mode)
      this.stats.rotations++
      f.size = 0
      this.opts.reporter.recovered(`rotate:${f.path}`)
      return this.ensureOpen(f) || (f.size = 0, true)
    } catch (error) {
      f.rotateBlockedUntil = this.now() + this.rotateRetryMs
      this.opts.reporter.failure(`rotate:${f.path}`, `cannot rotate ${f.path}`, error, {again: `rotating ${f.path} again`, file: true})
      return false
    }
  }

  private writeOut(f: SourceFile): void {
    if (f.pending.length === 0) return
    const lines = f.pending.length
    const text = lines === 1 ? f.pending[0] : f.pending.join('')
    f.pending = []
    f.pendingBytes = 0
    if (f.fd >= 0 && this.now() - f.lastCheck >= this.checkIntervalMs) this.checkOutside(f)
    if (!this.ensureOpen(f, lines)) {
      this.stats.linesDropped += lines
      return
    }
    const buf = Buffer.from(text, 'utf8')
    let off = 0
    try {
      while (off < buf.length) off += fs.writeSync(f.fd, buf, off, buf.length - off)
    } catch (error) {
      this.partial(f, buf, off, lines, error)
      return
    }
    f.size += buf.length
    this.stats.linesWritten += lines
    this.stats.bytesWritten += buf.length
    this.opts.reporter.recovered(f.path)
  }

  /** A write failed after `off` bytes: keep whole lines only, count the rest as dropped. */
  private partial(f: SourceFile, buf: Buffer, off: number, lines: number, error: unknown): void {
    const keep = off > 0 ? buf.lastIndexOf(10, off - 1) + 1 : 0
    if (keep < off) {
      // A torn line reached the file: cut it off so the file holds whole lines only.
      try {
        const size = fs.fstatSync(f.fd).size
        fs.ftruncateSync(f.fd, Math.max(0, size - (off - keep)))
      } catch {
        // best effort: the next check or rotation corrects the size
      }
    }
    let written = 0
    for (let i = buf.indexOf(10); i !== -1 && i < keep; i = buf.indexOf(10, i + 1)) written++
    f.size += keep
    this.stats.linesWritten += written
    this.stats.bytesWritten += keep
    this.stats.linesDropped += lines - written
    this.fail(f, `cannot write ${f.path}`, error, lines - written)
    // ENOSPC/EIO may leave the fd unusable on some file systems: open afresh next time.
    this.closeFile(f)
  }
}
