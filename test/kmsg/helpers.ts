// Shared bits of the kmsg tests: repo paths and a scripted fake device.
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {KmsgDevice} from '../../src/kmsg/index.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const BIN = path.join(ROOT, 'bin/run.js')

export function errno(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`read ${code}`)
  e.code = code
  return e
}

/** One scripted read result: a record (string) or an errno code thrown by read(). */
export type Step = {rec: string} | {err: string}
export const rec = (s: string): Step => ({rec: s})
export const err = (code: string): Step => ({err: code})

/** A device that plays back steps; when they run out, every read is EAGAIN. */
export class FakeDevice implements KmsgDevice {
  readonly path = '/fake/kmsg'
  reads = 0
  bufferSizes: number[] = []
  closed = false
  seekedEnd = false
  constructor(private readonly steps: Step[], readonly fd?: number) {}

  push(...steps: Step[]): void {
    this.steps.push(...steps)
  }

  read(buf: Buffer): number {
    if (this.closed) throw errno('EBADF')
    this.reads++
    this.bufferSizes.push(buf.length)
    const s = this.steps.shift()
    if (!s) throw errno('EAGAIN')
    if ('err' in s) throw errno(s.err)
    const b = Buffer.from(s.rec, 'latin1')
    if (b.length > buf.length) throw errno('EINVAL')
    return b.copy(buf)
  }

  seekEnd(): void {
    this.seekedEnd = true
    this.steps.length = 0
  }

  close(): void {
    this.closed = true
  }
}
