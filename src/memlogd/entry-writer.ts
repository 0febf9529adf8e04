// Encodes lines straight into the ring as NDJSON entries:
//   {"time":"…","source":"…","msg":"…","seq":N}\n
// Work is per byte of message, not per JS object: the time and source part is
// built once per read chunk, and the message bytes are escaped in place.

import {realtime} from '../native/index.js'
import {jsonStringBytes, maxJsonStringBytes, writeJsonStringBytes} from '../protocol/json-bytes.js'
import {formatRfc3339Nano} from '../protocol/time.js'
import type {Ring} from './ring.js'

const SUFFIX_MAX = 32 // `","seq":` + up to 16 digits + `}\n`

/** Current wall-clock time as RFC 3339 with nanoseconds. */
export function nowRfc3339(): string {
  const t = realtime()
  return formatRfc3339Nano(t[0], t[1])
}

/** The JSON-escaped bytes of a source name, computed once per stream. */
export function encodeSource(name: Uint8Array): Buffer {
  return jsonStringBytes(name)
}

export class EntryWriter {
  private head: Buffer = Buffer.alloc(0)

  constructor(private readonly ring: Ring) {}

  /** Starts a batch of lines from one source read at one moment. */
  begin(sourceJson: Buffer, time = nowRfc3339()): void {
    const t = `{"time":"${time}","source":"`
    const head = Buffer.allocUnsafe(t.length + sourceJson.length + 9)
    let o = head.write(t, 0, 'latin1')
    o += sourceJson.copy(head, o)
    head.write('","msg":"', o, 'latin1')
    this.head = head
  }

  /** Appends one line (raw bytes) of the current batch; returns its seq. */
  line(src: Uint8Array, start: number, end: number): number {
    const head = this.head
    const {buf, offset} = this.ring.reserve(head.length + maxJsonStringBytes(end - start) + SUFFIX_MAX)
    let o = offset + head.copy(buf, offset)
    o = writeJsonStringBytes(src, start, end, buf, o)
    o += buf.write(`","seq":${this.ring.nextSeq}}\n`, o, 'latin1')
    return this.ring.commit(o)
  }

  /** Appends one whole entry from a JS string message (the daemon's own notes). */
  text(sourceJson: Buffer, msg: string, time?: string): number {
    this.begin(sourceJson, time)
    const bytes = Buffer.from(msg, 'utf8')
    return this.line(bytes, 0, bytes.length)
  }
}
