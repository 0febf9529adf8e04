// Shared bits of the kmsg tests: repo paths, the real device's availability,
// polling, and a scripted fake device.
import fs from 'node:fs'
import type {KmsgBatch, KmsgDevice} from '../../src/kmsg/index.js'

export {BIN, ROOT} from '../helpers/memlogd.js'

/** Whether this process can open /dev/kmsg for reading (not in every container, not as every user). */
export function canRead(): boolean {
  try {
    fs.closeSync(fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK))
    return true
  } catch {
    return false
  }
}

/** Polls cond every 100 ms, calling tick (if any) before each wait; throws naming `what` after ms. */
export async function waitFor(what: string, cond: () => boolean, tick?: () => void, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    tick?.()
    await new Promise((r) => setTimeout(r, 100))
  }
}

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

/**
 * The same scripted steps served as kmsgDrain serves them: each readBatch
 * plays steps until EAGAIN, a 0-byte read or an error, collecting records back
 * to back and where EPIPEs came. `perBatch` caps records per batch ('more').
 * read() must not be used when a device has readBatch: it throws.
 */
export class FakeBatchDevice extends FakeDevice {
  batches = 0
  readSizes: number[] = []
  constructor(private readonly batchSteps: Step[], private readonly perBatch = Infinity) {
    super([])
  }

  override push(...steps: Step[]): void {
    this.batchSteps.push(...steps)
  }

  override read(): number {
    throw new Error('FakeBatchDevice: read() called although readBatch exists')
  }

  readBatch(readSize: number): KmsgBatch {
    if (this.closed) throw errno('EBADF')
    this.batches++
    this.readSizes.push(readSize)
    const chunks: Buffer[] = []
    const ends: number[] = []
    const epipe: number[] = []
    let used = 0
    const done = (end: KmsgBatch['end'], error?: NodeJS.ErrnoException): KmsgBatch =>
      ({data: Buffer.concat(chunks), ends: Uint32Array.from(ends), epipe, end, error})
    for (;;) {
      if (ends.length >= this.perBatch) return done('more')
      const s = this.batchSteps.shift()
      if (!s) return done('drained')
      if ('err' in s) {
        if (s.err === 'EPIPE') epipe.push(ends.length)
        else if (s.err === 'EAGAIN') return done('drained')
        else if (s.err !== 'EINTR') return done('error', errno(s.err))
        continue
      }
      const b = Buffer.from(s.rec, 'latin1')
      if (b.length === 0) return done('eof')
      if (b.length > readSize) return done('error', errno('EINVAL'))
      chunks.push(b)
      used += b.length
      ends.push(used)
    }
  }
}
