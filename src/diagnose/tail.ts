// Keeping the newest data of something larger than the per-file cap. The cut
// is moved to the next line start so no partial first line survives: half a
// line could hold the end of a secret without the key that identifies it.

/** Accumulates chunks, holding at most about `cap` bytes of the newest data. */
export class TailBuffer {
  private chunks: Buffer[] = []
  private held = 0
  /** Bytes pushed in total. */
  total = 0

  constructor(readonly cap: number) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    if (buf.length === 0) return
    this.chunks.push(buf)
    this.held += buf.length
    this.total += buf.length
    // Drop whole chunks from the head while the rest still covers the cap.
    while (this.chunks.length > 1 && this.held - this.chunks[0].length >= this.cap) {
      this.held -= this.chunks.shift()!.length
    }
  }

  get truncated(): boolean {
    return this.total > this.cap
  }

  /** The newest data, at most cap bytes, starting at a line start when cut. */
  toBuffer(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
    if (!this.truncated) return all
    return cutToLineStart(all.subarray(all.length - this.cap), all[all.length - this.cap - 1] === 10)
  }
}

/**
 * Drops the partial first line of a tail. `atLineStart` says whether the byte
 * before the tail was a newline (then nothing is partial).
 */
export function cutToLineStart(tail: Buffer, atLineStart: boolean): Buffer {
  if (atLineStart) return tail
  const nl = tail.indexOf(10)
  return nl === -1 ? Buffer.alloc(0) : tail.subarray(nl + 1)
}
