// Rotation on disk: <safe>.log -> <safe>.log.0 (newest) … <safe>.log.<N-2>,
// N = maxFiles counting the active file. Both forms (plain and .gz) of a
// numbered file are moved together, so changing --compress between runs keeps
// the order right. Every step tolerates ENOENT: any numbered file may be missing.

import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import {activeFileName, parseLogFileName, rotatedFileName} from './safe-name.js'

function ignoreMissing(fn: () => void): void {
  try {
    fn()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/**
 * Moves the (closed or still open) active file to .0 after shifting the
 * others up and deleting the oldest. With maxFiles 1 there is nothing to keep:
 * the active file is removed. Throws on anything but ENOENT.
 */
export function rotateFiles(dir: string, safe: string, maxFiles: number, compress: boolean, mode: number): void {
  const active = path.join(dir, activeFileName(safe))
  if (maxFiles <= 1) {
    ignoreMissing(() => fs.unlinkSync(active))
    return
  }
  const last = maxFiles - 2
  for (const gz of [false, true]) ignoreMissing(() => fs.unlinkSync(path.join(dir, rotatedFileName(safe, last, gz))))
  for (let k = last - 1; k >= 0; k--) {
    for (const gz of [false, true]) {
      ignoreMissing(() => fs.renameSync(path.join(dir, rotatedFileName(safe, k, gz)), path.join(dir, rotatedFileName(safe, k + 1, gz))))
    }
  }
  const plain0 = path.join(dir, rotatedFileName(safe, 0, false))
  if (!compress) {
    ignoreMissing(() => fs.renameSync(active, plain0))
    return
  }
  // Compress into a dot-file (never taken for a log), then rename into place. If
  // compressing fails (no space for the copy), keep the data uncompressed rather than lose it.
  const tmp = path.join(dir, `.${rotatedFileName(safe, 0, true)}.tmp`)
  try {
    const data = fs.readFileSync(active)
    fs.writeFileSync(tmp, zlib.gzipSync(data), {mode})
    fs.renameSync(tmp, path.join(dir, rotatedFileName(safe, 0, true)))
    fs.unlinkSync(active)
  } catch (error) {
    ignoreMissing(() => fs.unlinkSync(tmp))
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    fs.renameSync(active, plain0)
  }
}

/**
 * Numbered files of `safe` beyond what maxFiles allows (left by an earlier,
 * larger setting), from a directory listing.
 */
export function surplusFiles(names: Iterable<string>, safe: string, maxFiles: number): string[] {
  const out: string[] = []
  for (const name of names) {
    const p = parseLogFileName(name)
    if (p && p.safe === safe && p.index !== undefined && p.index > maxFiles - 2) out.push(name)
  }
  return out.sort()
}

/** Deletes the surplus numbered files of `safe`; returns the names deleted. */
export function deleteSurplus(dir: string, names: Iterable<string>, safe: string, maxFiles: number): string[] {
  const gone = surplusFiles(names, safe, maxFiles)
  for (const name of gone) ignoreMissing(() => fs.unlinkSync(path.join(dir, name)))
  return gone
}
