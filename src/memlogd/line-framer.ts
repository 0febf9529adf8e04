// Splits a byte stream into lines (PROTOCOL.md §2) with bounded memory:
// a line ends at "\n", a "\r" right before it is dropped even across reads,
// over-long lines keep their first maxLineLen bytes (cut on a UTF-8 character
// boundary) and the rest of that line is discarded; a last line without "\n"
// is emitted at end().

/** Receives each line as a view into a buffer that is only valid during the call. */
export type LineHandler = (buf: Uint8Array, start: number, end: number) => void

/** Largest cut <= limit that does not split a UTF-8 character of buf[start, end). */
export function utf8Cut(buf: Uint8Array, start: number, limit: number): number {
  let cut = start + limit
  // Step back over continuation bytes (10xxxxxx): at most 3 for valid UTF-8.
  for (let k = 0; k < 3 && cut > start && (buf[cut] & 0xc0) === 0x80; k++) cut--
  return cut
}

export class LineFramer {
  // Holds the start of an unfinished line: at most maxLineLen + 1 bytes (the
  // extra byte is a possible "\r" that only the next read can confirm).
  private readonly pending: Buffer
  private pendingLen = 0
  private discarding = false

  constructor(private readonly maxLineLen: number, private readonly onLine: LineHandler) {
    this.pending = Buffer.allocUnsafe(maxLineLen + 1)
  }

  push(chunk: Uint8Array): void {
    let pos = 0
    const len = chunk.length
    while (pos < len) {
      const nl = chunk.indexOf(10, pos)
      if (nl === -1) {
        this.keep(chunk, pos, len)
        return
      }
      if (this.pendingLen === 0 && !this.discarding) {
        this.finish(chunk, pos, nl, false)
      } else {
        this.keep(chunk, pos, nl)
        this.finish(this.pending, 0, this.pendingLen, this.discarding)
        this.pendingLen = 0
        this.discarding = false
      }
      pos = nl + 1
    }
  }

  /** End of stream: a last line without "\n" is still a line (a "\r" ending it is a lone one and stays). */
  end(): void {
    if (this.pendingLen > 0 || this.discarding) this.finish(this.pending, 0, this.pendingLen, true)
    this.pendingLen = 0
    this.discarding = false
  }

  private keep(src: Uint8Array, start: number, end: number): void {
    const room = this.pending.length - this.pendingLen
    const n = end - start
    if (n <= room) {
      this.pending.set(src.subarray(start, end), this.pendingLen)
      this.pendingLen += n
    } else {
      if (room > 0) this.pending.set(src.subarray(start, start + room), this.pendingLen)
      this.pendingLen += room
      this.discarding = true
    }
  }

  /** noLineEnd: the line was cut off or ended at EOF, so no "\n" followed its last byte. */
  private finish(buf: Uint8Array, start: number, end: number, noLineEnd: boolean): void {
    // Only a "\r" that really stood right before "\n" is part of the line end.
    if (!noLineEnd && end > start && buf[end - 1] === 13) end--
    if (end - start > this.maxLineLen) end = utf8Cut(buf, start, this.maxLineLen)
    this.onLine(buf, start, end)
  }
}
