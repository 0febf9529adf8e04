// Reading files for the report. Logs are read through an fd opened up front:
// a rotation that renames the file mid-read does not change what the fd
// reads, and reading stops at the size seen at open so a busy log does not
// grow the entry without end. Files reported as empty by stat (/proc, /sys)
// are read into memory until EOF instead.

import fs from 'node:fs'
import type {FileHandle} from 'node:fs/promises'
import fsp from 'node:fs/promises'
import {cutToLineStart, TailBuffer} from './tail.js'

const CHUNK = 1024 * 1024

export interface Snapshot {
  fh: FileHandle
  size: number
  dev: number
  ino: number
}

/** Opens a regular file without following a final symlink. */
export async function openSnapshot(path: string): Promise<Snapshot> {
  const fh = await fsp.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw Object.assign(new Error(`${path}: not a regular file`), {code: 'EINVAL'})
    return {fh, size: st.size, dev: st.dev, ino: st.ino}
  } catch (error) {
    await fh.close()
    throw error
  }
}

export interface TailPlan {
  start: number
  end: number
  truncated: boolean
}

/** The byte range holding the newest `cap` bytes of a file of `size`. */
export function tailPlan(size: number, cap: number): TailPlan {
  return size > cap ? {start: size - cap, end: size, truncated: true} : {start: 0, end: size, truncated: false}
}

/**
 * Yields [start, end) of the file (cut to a line start when start > 0), then
 * closes it. Stops early, quietly, when the signal fires. Read errors throw
 * (the report writer records them on the entry).
 */
export async function* readRange(fh: FileHandle, plan: TailPlan, signal: AbortSignal, stopped: () => void): AsyncGenerator<Buffer> {
  try {
    let pos = plan.start
    let first = plan.start > 0
    if (first) {
      // Whether the byte before the cut ends a line decides if the first line is whole.
      const one = Buffer.alloc(1)
      const {bytesRead} = await fh.read(one, 0, 1, pos - 1)
      first = !(bytesRead === 1 && one[0] === 10)
    }
    while (pos < plan.end) {
      if (signal.aborted) {
        stopped()
        return
      }
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, plan.end - pos))
      const {bytesRead} = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) return // Truncated under us (copytruncate): what we have is all.
      pos += bytesRead
      let out: Buffer = buf.subarray(0, bytesRead)
      if (first) {
        out = cutToLineStart(out, false)
        first = false
      }
      if (out.length > 0) yield out
    }
  } finally {
    await fh.close()
  }
}

/** Reads a small or size-less file (/proc) until EOF, keeping the newest `cap` bytes. */
export async function readSmallFile(
  path: string,
  cap: number,
  signal?: AbortSignal,
): Promise<{data: Buffer; total: number; truncated: boolean}> {
  const fh = await fsp.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  try {
    // Devices and FIFOs could stream forever or block: only regular files.
    if (!(await fh.stat()).isFile()) throw Object.assign(new Error(`${path}: not a regular file`), {code: 'EINVAL'})
    const tail = new TailBuffer(cap)
    while (!signal?.aborted) {
      const buf = Buffer.allocUnsafe(64 * 1024)
      const {bytesRead} = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      tail.push(buf.subarray(0, bytesRead))
    }
    return {data: tail.toBuffer(), total: tail.total, truncated: tail.truncated}
  } finally {
    await fh.close()
  }
}
