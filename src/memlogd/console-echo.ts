// Echoes entries to stdout in the logread text form, as LinuxKit's memlogd
// does, without ever blocking ingestion: the echo is one more cursor on the
// ring, written through a non-blocking stream. When stdout cannot keep up, the
// ring moves on and the echo says how many entries it skipped.

import fs from 'node:fs'
import net from 'node:net'
import tty from 'node:tty'
import type {Writable} from 'node:stream'
import {fdType} from '../native/index.js'
import {ndjsonToLogreadText} from '../protocol/ndjson-text.js'
import type {Ring} from './ring.js'

const BATCH_BYTES = 256 * 1024

/** A writable for an fd whose writes never block the event loop. */
export function nonBlockingWriter(fd: number): Writable {
  const type = fdType(fd)
  if (type === 'pipe' || type === 'fifo' || type === 'stream-socket') {
    return new net.Socket({fd, readable: false, writable: true})
  }
  if (tty.isatty(fd)) {
    const stream = new tty.WriteStream(fd)
    // Node makes TTY writes blocking; a terminal paused with Ctrl-S must not stop the daemon.
    ;(stream as unknown as {_handle?: {setBlocking?(b: boolean): void}})._handle?.setBlocking?.(false)
    return stream
  }
  // Files and character devices: writes go through the threadpool.
  return fs.createWriteStream('', {fd, autoClose: false})
}

export class ConsoleEcho {
  private cursor: number
  private scheduled = false
  private waiting = false
  private closed = false

  constructor(private readonly ring: Ring, private readonly out: Writable) {
    this.cursor = ring.nextSeq
    out.on('drain', () => {
      this.waiting = false
      this.schedule()
    })
    // stdout gone (closed pipe): stop echoing, keep the daemon.
    out.on('error', () => {
      this.closed = true
    })
  }

  /** New entries are in the ring. The work is deferred so a burst is echoed in batches. */
  appended(): void {
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.waiting || this.closed) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.run()
    })
  }

  private run(): void {
    if (this.closed) return
    const ring = this.ring
    const parts: Buffer[] = []
    if (this.cursor < ring.firstSeq) {
      parts.push(Buffer.from(`memlogd: console echo skipped ${ring.firstSeq - this.cursor} entries (stdout too slow)\n`))
      this.cursor = ring.firstSeq
    }
    for (const range of ring.ranges(this.cursor, BATCH_BYTES)) {
      parts.push(ndjsonToLogreadText(range.bytes))
      this.cursor = range.toSeq
    }
    if (parts.length > 0 && !this.out.write(parts.length === 1 ? parts[0] : Buffer.concat(parts))) this.waiting = true
    if (this.cursor < ring.nextSeq && !this.waiting) this.schedule()
  }

  close(): void {
    this.closed = true
  }
}
