// The zip: written as <name>.zip.partial (created exclusively), published by
// link() to <name>.zip — link never replaces, so an existing report is never
// overwritten — and deleted on abort. Every entry is hashed as it is stored,
// and a streamed entry that fails part-way ends cleanly with the error kept
// for the manifest: archiver never sees a failing source (that would spoil
// the whole archive).

import {createHash} from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {Readable, Transform} from 'node:stream'
import archiver from 'archiver'
import {safeEntryName} from './names.js'
import type {Redactor} from './redact.js'
import type {AddOptions, FileRecord} from './types.js'
import {makeDirsSync} from '../util/make-dirs.js'

export interface WriterOptions {
  /** The directory of the report (<out-dir>/<host UUID>). */
  dir: string
  /** Base name without extension, e.g. 20260101120000. */
  baseName: string
  /** Deflate level (6 = zip's default). */
  level?: number
  /** Redaction applied to entries unless an entry says otherwise; undefined = off. */
  redactor?: Redactor
  date?: Date
}

export interface WrittenReport {
  path: string
  /** The base name: the timestamp, with a -N suffix when that name was taken. */
  baseName: string
  bytes: number
  sha256: string
}

export class ReportAborted extends Error {
  override name = 'ReportAborted'
}

export class ReportWriter {
  readonly files: FileRecord[] = []
  private readonly names = new Set<string>()
  private readonly inflight = new Set<Readable>()
  private readonly archive: archiver.Archiver
  private readonly out: fs.WriteStream
  private readonly closed: Promise<void>
  private readonly hash = createHash('sha256')
  private written = 0
  private fatal: Error | undefined
  private aborted = false
  private aborting: Promise<void> | undefined

  private constructor(
    readonly partialPath: string,
    readonly baseName: string,
    fd: number,
    private readonly opts: WriterOptions,
  ) {
    this.archive = archiver('zip', {zlib: {level: opts.level ?? 6}})
    this.out = fs.createWriteStream('', {fd})
    const tap = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.hash.update(chunk)
        this.written += chunk.length
        cb(null, chunk)
      },
    })
    this.closed = new Promise((resolve, reject) => {
      this.out.once('close', resolve)
      this.out.once('error', reject)
    })
    this.closed.catch(() => {})
    this.archive.on('error', (err) => {
      this.fatal ??= err
    })
    this.archive.on('warning', (err) => {
      this.fatal ??= err
    })
    this.archive.pipe(tap).pipe(this.out)
  }

  /** Creates the directory and an exclusive <base>.zip.partial, choosing <base>-N when taken. */
  static async open(opts: WriterOptions): Promise<ReportWriter> {
    makeDirsSync(opts.dir, 0o700)
    for (let n = 1; n < 1000; n++) {
      const base = n === 1 ? opts.baseName : `${opts.baseName}-${n}`
      const final = path.join(opts.dir, `${base}.zip`)
      if (await exists(final)) continue
      const partial = `${final}.partial`
      let fd: number
      try {
        fd = fs.openSync(partial, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600) // libuv adds O_CLOEXEC
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw error
      }
      return new ReportWriter(partial, base, fd, opts)
    }
    throw new Error(`cannot find a free report name in ${opts.dir}`)
  }

  /** A unique, sanitized entry name. */
  private claim(name: string): string {
    let safe = safeEntryName(name)
    if (this.names.has(safe)) {
      const dot = safe.lastIndexOf('.')
      const slash = safe.lastIndexOf('/')
      const [stem, ext] = dot > slash + 1 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, '']
      let n = 2
      while (this.names.has(`${stem}~${n}${ext}`)) n++
      safe = `${stem}~${n}${ext}`
    }
    this.names.add(safe)
    return safe
  }

  private redactorFor(opts: AddOptions): Redactor | undefined {
    return opts.redact === false ? undefined : this.opts.redactor
  }

  addBuffer(collector: string, name: string, data: Buffer | string, opts: AddOptions = {}): FileRecord {
    if (this.aborted) throw new ReportAborted('the report was aborted')
    const entryName = this.claim(name)
    let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let redactions = 0
    const redactor = this.redactorFor(opts)
    if (redactor) {
      const r = redactor.redactBuffer(buf)
      buf = r.data
      redactions = r.count
    }
    const record: FileRecord = {
      name: entryName,
      collector,
      bytes: buf.length,
      sha256: createHash('sha256').update(buf).digest('hex'),
      truncated: opts.truncated ?? false,
      redactions,
    }
    if (opts.originalBytes !== undefined) record.originalBytes = opts.originalBytes
    if (opts.source !== undefined) record.source = opts.source
    this.files.push(record)
    this.archive.append(buf, {name: entryName, date: this.opts.date, store: opts.store})
    return record
  }

  /**
   * Adds an entry fed by `chunks`. Resolves with its record once the source is
   * exhausted (the entry may still sit in archiver's queue). A throwing source
   * ends the entry; the error lands in the record.
   */
  addStream(collector: string, name: string, chunks: AsyncIterable<Buffer>, opts: AddOptions = {}): Promise<FileRecord> {
    if (this.aborted) return Promise.reject(new ReportAborted('the report was aborted'))
    const entryName = this.claim(name)
    const record: FileRecord = {name: entryName, collector, bytes: 0, sha256: '', truncated: opts.truncated ?? false, redactions: 0}
    if (opts.originalBytes !== undefined) record.originalBytes = opts.originalBytes
    if (opts.source !== undefined) record.source = opts.source
    this.files.push(record)
    const redactor = this.redactorFor(opts)
    const hash = createHash('sha256')
    let finish!: (r: FileRecord) => void
    let fail!: (e: Error) => void
    const done = new Promise<FileRecord>((resolve, reject) => {
      finish = resolve
      fail = reject
    })
    const emit = (buf: Buffer): Buffer => {
      hash.update(buf)
      record.bytes += buf.length
      return buf
    }
    async function* guarded(): AsyncGenerator<Buffer> {
      const lines = redactor?.stream()
      try {
        for await (const chunk of chunks) {
          const out = lines ? lines.push(chunk) : chunk
          if (out.length > 0) yield emit(out)
        }
      } catch (error) {
        record.error = (error as Error).message
      }
      if (lines) {
        const rest = lines.end()
        if (rest.length > 0) yield emit(rest)
        record.redactions = lines.count
      }
      record.sha256 = hash.digest('hex')
    }
    const source = Readable.from(guarded(), {objectMode: false})
    this.inflight.add(source)
    source.once('end', () => {
      this.inflight.delete(source)
      finish(record)
    })
    source.once('close', () => {
      this.inflight.delete(source)
      if (!record.sha256) fail(new ReportAborted('the report was aborted'))
    })
    this.archive.append(source, {name: entryName, date: this.opts.date, store: opts.store})
    done.catch(() => {})
    return done
  }

  /** Writes the central directory, waits for the file to be closed, and publishes it. */
  async finalize(): Promise<WrittenReport> {
    if (this.fatal) throw this.fatal
    // A failing output (ENOSPC) stalls archiver: the close/error of the file decides.
    const gone = this.closed.then(() => {
      if (this.aborted) throw new ReportAborted('the report was aborted')
      return new Promise<void>(() => {})
    })
    await Promise.race([this.archive.finalize(), gone])
    await this.closed
    if (this.fatal) throw this.fatal
    if (this.aborted) throw new ReportAborted('the report was aborted')
    const final = await this.publish()
    return {path: final, baseName: this.baseName, bytes: this.written, sha256: this.hash.digest('hex')}
  }

  /**
   * link() then unlink(): the final name is created exclusively, so a report
   * that appeared under the same name meanwhile is never replaced (this one
   * then fails: its ID, already written in the manifest, names that file).
   */
  private async publish(): Promise<string> {
    const final = path.join(this.opts.dir, `${this.baseName}.zip`)
    try {
      await fsp.link(this.partialPath, final)
    } catch (error) {
      await fsp.rm(this.partialPath, {force: true})
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${final} appeared while the report was written; not overwriting it`)
      throw error
    }
    await fsp.unlink(this.partialPath)
    return final
  }

  /** Stops writing and deletes the partial file. Safe to call more than once: every call waits for the deletion. */
  abort(): Promise<void> {
    this.aborting ??= (async () => {
      this.aborted = true
      this.archive.abort()
      for (const s of this.inflight) s.destroy()
      this.archive.unpipe()
      this.out.destroy()
      await this.closed.catch(() => {})
      await fsp.rm(this.partialPath, {force: true})
    })()
    return this.aborting
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p)
    return true
  } catch {
    return false
  }
}
