// logwrite's rotated files (<source>.log, .log.N, .log.N.gz) copied under
// logs/files/. Every candidate is opened before any is read and files are
// told apart by inode, so a rotation during collection neither loses the
// renamed file nor copies one twice; the directory is listed again after
// opening to catch a file that rotation created meanwhile.

import fs from 'node:fs/promises'
import path from 'node:path'
import {once} from 'node:events'
import {createGunzip, createGzip, type Gunzip, type Gzip} from 'node:zlib'
import {openSnapshot, readRange, type Snapshot, tailPlan} from '../file-source.js'
import {safeSegment} from '../names.js'
import {type Collector, type CollectorContext, SkipCollector} from '../types.js'

export const ROTATED_NAME = /\.log(?:\.\d+)?(?:\.gz)?$/

export interface LogFilesOptions {
  logDir: string
  /** Timeout of this collector (it streams the most data; default: the overall deadline). */
  timeoutMs?: number
}

interface Opened extends Snapshot {
  name: string
}

/** Sort key: by source, then active file first, then .0, .1, ... */
function order(a: string, b: string): number {
  const split = (n: string) => {
    const m = /^(.*)\.log(?:\.(\d+))?(\.gz)?$/.exec(n)!
    return [m[1], m[2] === undefined ? -1 : Number(m[2])] as const
  }
  const [sa, na] = split(a)
  const [sb, nb] = split(b)
  return sa < sb ? -1 : sa > sb ? 1 : na - nb
}

export function logFilesCollector(opts: LogFilesOptions): Collector {
  return {
    name: 'log-files',
    timeoutMs: opts.timeoutMs,
    async run(ctx) {
      const opened = new Map<string, Opened>()
      const skipped: string[] = []
      const errors: string[] = []
      const scan = async () => {
        let names: string[]
        try {
          names = await fs.readdir(opts.logDir)
        } catch (error) {
          const err = error as NodeJS.ErrnoException
          if (err.code === 'ENOENT') throw new SkipCollector(`no log directory ${opts.logDir}`)
          if (err.code === 'ENOTDIR') throw new SkipCollector(`${opts.logDir} is not a directory`)
          throw new Error(`cannot list ${opts.logDir}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`)
        }
        for (const name of names.filter((n) => ROTATED_NAME.test(n))) {
          try {
            const snap = await openSnapshot(path.join(opts.logDir, name))
            const key = `${snap.dev}:${snap.ino}`
            if (opened.has(key)) await snap.fh.close()
            else opened.set(key, {...snap, name})
          } catch (error) {
            const err = error as NodeJS.ErrnoException
            // Gone between listing and opening: rotation deleted or renamed it (the rename is caught by the rescan).
            if (err.code === 'ENOENT') continue
            if (err.code === 'ELOOP') skipped.push(`${name} (symlink)`)
            else if (err.code === 'EINVAL') skipped.push(`${name} (not a regular file)`)
            else errors.push(ctx.clean(`${name}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`))
          }
        }
      }
      await scan()
      await scan()
      const files = [...opened.values()].sort((a, b) => order(a.name, b.name))
      let index = 0
      try {
        for (; index < files.length; index++) {
          if (ctx.signal.aborted) break
          const f = files[index]
          await (f.name.endsWith('.gz') ? copyGz(ctx, f) : copyText(ctx, f))
        }
      } finally {
        for (; index < files.length; index++) await files[index].fh.close().catch(() => {})
      }
      const details = {logDir: opts.logDir, files: files.length, skipped}
      if (errors.length > 0) return {status: 'failed', error: `could not read ${errors.join('; ')}`, details}
      return {details}
    },
  }
}

async function copyText(ctx: CollectorContext, f: Opened): Promise<void> {
  const plan = tailPlan(f.size, ctx.maxFileSize)
  const opts = {source: f.name, truncated: plan.truncated, originalBytes: plan.truncated ? f.size : undefined}
  let cut = false
  const rec = await ctx.addStream(`logs/files/${safeSegment(f.name)}`, readRange(f.fh, plan, ctx.signal, () => (cut = true)), opts)
  if (rec && cut) rec.truncated = true
}

/** The uncompressed size a gzip file records in its trailer (ISIZE, modulo 2^32). */
async function gzipSize(f: Opened): Promise<number | undefined> {
  if (f.size < 18) return undefined
  const b = Buffer.alloc(4)
  const {bytesRead} = await f.fh.read(b, 0, 4, f.size - 4)
  return bytesRead === 4 ? b.readUInt32LE(0) : undefined
}

/**
 * A rotated .gz: copied as is when it fits and redaction is off; otherwise
 * decompressed (redacted, cut to the newest data) and compressed again.
 */
async function copyGz(ctx: CollectorContext, f: Opened): Promise<void> {
  const name = `logs/files/${safeSegment(f.name)}`
  const plain = (await gzipSize(f)) ?? Number.POSITIVE_INFINITY
  if (!ctx.redacting && f.size <= ctx.maxFileSize && plain <= ctx.maxFileSize) {
    await ctx.addStream(name, readRange(f.fh, tailPlan(f.size, f.size), ctx.signal, () => {}), {source: f.name, store: true, redact: false})
    return
  }
  const skip = plain > ctx.maxFileSize && Number.isFinite(plain) ? plain - ctx.maxFileSize : 0
  let cut = false
  let failure: string | undefined
  const gunzip = createGunzip()
  const gzip = createGzip({level: 6})
  const raw = readRange(f.fh, tailPlan(f.size, f.size), ctx.signal, () => (cut = true))
  const pump = async (from: AsyncIterable<Buffer>, to: Gzip | Gunzip) => {
    try {
      for await (const chunk of from) if (!to.write(chunk)) await once(to, 'drain')
    } catch (error) {
      failure ??= (error as Error).message
    }
    to.end()
  }
  const redacted = ctx.redactStream(dropHead(gunzip, skip))
  void pump(raw, gunzip)
  void pump(redacted.chunks, gzip)
  const rec = await ctx.addStream(name, gzip, {
    source: f.name,
    store: true,
    redact: false,
    truncated: skip > 0,
    originalBytes: skip > 0 ? plain : undefined,
  })
  if (rec) {
    rec.redactions = redacted.count()
    if (cut) rec.truncated = true
    if (failure) rec.error = ctx.clean(failure)
  }
}

/** Skips the first `skip` bytes of a stream, then cuts to the next line start. */
async function* dropHead(src: AsyncIterable<Buffer>, skip: number): AsyncGenerator<Buffer> {
  let left = skip
  let aligning = skip > 0
  for await (const chunk of src) {
    let c = chunk
    if (left > 0) {
      if (c.length <= left) {
        left -= c.length
        continue
      }
      c = c.subarray(left)
      left = 0
    }
    if (aligning) {
      const nl = c.indexOf(10)
      if (nl === -1) continue
      c = c.subarray(nl + 1)
      aligning = false
    }
    if (c.length > 0) yield c
  }
}
