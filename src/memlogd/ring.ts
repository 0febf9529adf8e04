// The bounded in-memory ring of encoded entries (NDJSON bytes, newline
// included), numbered by seq. Entries are packed into large slabs so that a
// dump or a follower sends contiguous byte ranges, and the per-entry cost is
// three numbers, not a Buffer object. Bounded by entry count and by bytes;
// the oldest entries go first.

const SLAB_SIZE = 256 * 1024
const MIN_CAPACITY = 1024

interface Slab {
  no: number
  buf: Buffer
}

/** A contiguous byte range of consecutive entries [fromSeq, toSeq). */
export interface RingRange {
  bytes: Buffer
  fromSeq: number
  toSeq: number
}

export class Ring {
  /** Seq of the oldest entry held (== nextSeq when empty). */
  firstSeq = 1
  /** Seq the next entry will get. */
  nextSeq = 1
  /** Bytes of all entries held. */
  bytes = 0
  /** Entries dropped to respect the bounds, since start. */
  dropped = 0

  private cap = MIN_CAPACITY
  private head = 0
  private slabOf = new Float64Array(MIN_CAPACITY)
  private startOf = new Uint32Array(MIN_CAPACITY)
  private endOf = new Uint32Array(MIN_CAPACITY)
  private slabs: Slab[] = []
  private firstSlabNo = 0
  private current: Slab | undefined
  private used = 0

  constructor(readonly maxLines: number, readonly maxBytes: number) {
    if (maxLines < 1) throw new RangeError('maxLines must be at least 1')
  }

  get length(): number {
    return this.nextSeq - this.firstSeq
  }

  /**
   * Room for an entry of at most `size` bytes: returns the buffer and offset to
   * write at. Call commit() with the end offset once written.
   */
  reserve(size: number): {buf: Buffer; offset: number} {
    if (!this.current || this.current.buf.length - this.used < size) {
      const no = this.firstSlabNo + this.slabs.length
      this.current = {no, buf: Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size))}
      this.slabs.push(this.current)
      this.used = 0
    }
    return {buf: this.current.buf, offset: this.used}
  }

  /** Adds the entry written at [reserve().offset, end) and returns its seq. */
  commit(end: number): number {
    const slab = this.current!
    if (this.length === this.cap) this.grow()
    const i = (this.head + this.length) % this.cap
    this.slabOf[i] = slab.no
    this.startOf[i] = this.used
    this.endOf[i] = end
    this.bytes += end - this.used
    this.used = end
    const seq = this.nextSeq++
    while (this.length > this.maxLines || (this.bytes > this.maxBytes && this.length > 1)) this.dropOldest()
    return seq
  }

  /** The bytes of one entry, or undefined when it is no longer (or not yet) held. */
  entry(seq: number): Buffer | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined
    const i = (this.head + (seq - this.firstSeq)) % this.cap
    return this.slabAt(this.slabOf[i]).subarray(this.startOf[i], this.endOf[i])
  }

  /**
   * Contiguous ranges covering entries [fromSeq, nextSeq), at most about
   * maxBytes in total (always at least one entry when any is held).
   */
  ranges(fromSeq: number, maxBytes = Number.POSITIVE_INFINITY): RingRange[] {
    const out: RingRange[] = []
    let seq = Math.max(fromSeq, this.firstSeq)
    let total = 0
    while (seq < this.nextSeq && total < maxBytes) {
      const i = (this.head + (seq - this.firstSeq)) % this.cap
      const slabNo = this.slabOf[i]
      const start = this.startOf[i]
      let end = this.endOf[i]
      let next = seq + 1
      while (next < this.nextSeq && total + (end - start) < maxBytes) {
        const j = (this.head + (next - this.firstSeq)) % this.cap
        if (this.slabOf[j] !== slabNo || this.startOf[j] !== end) break
        end = this.endOf[j]
        next++
      }
      out.push({bytes: this.slabAt(slabNo).subarray(start, end), fromSeq: seq, toSeq: next})
      total += end - start
      seq = next
    }
    return out
  }

  private slabAt(no: number): Buffer {
    return this.slabs[no - this.firstSlabNo].buf
  }

  private dropOldest(): void {
    const i = this.head
    this.bytes -= this.endOf[i] - this.startOf[i]
    this.head = (this.head + 1) % this.cap
    this.firstSeq++
    this.dropped++
    // Release slabs no entry refers to any more (never the one being filled).
    const oldestSlab = this.length > 0 ? this.slabOf[this.head] : this.current!.no
    while (this.firstSlabNo < oldestSlab) {
      this.slabs.shift()
      this.firstSlabNo++
    }
  }

  private grow(): void {
    const cap = Math.min(this.cap * 2, Math.max(this.maxLines + 1, MIN_CAPACITY))
    const slabOf = new Float64Array(cap)
    const startOf = new Uint32Array(cap)
    const endOf = new Uint32Array(cap)
    for (let k = 0; k < this.length; k++) {
      const i = (this.head + k) % this.cap
      slabOf[k] = this.slabOf[i]
      startOf[k] = this.startOf[i]
      endOf[k] = this.endOf[i]
    }
    this.slabOf = slabOf
    this.startOf = startOf
    this.endOf = endOf
    this.cap = cap
    this.head = 0
  }
}
