// The daemon's own events become entries from source "memlogd". A flood of one
// kind (say, a sender retrying a bad datagram in a loop) is cut to a few per
// window plus one line saying how many were suppressed, so it cannot wash the
// services' lines out of the ring.

export type NoteSink = (msg: string) => void

interface KindState {
  windowStart: number
  count: number
  suppressed: number
  timer?: NodeJS.Timeout
}

export class Notes {
  private readonly kinds = new Map<string, KindState>()

  constructor(private readonly emit: NoteSink, private readonly perWindow = 10, private readonly windowMs = 10_000) {}

  note(kind: string, msg: string): void {
    const now = Date.now()
    let s = this.kinds.get(kind)
    if (!s || now - s.windowStart >= this.windowMs) {
      if (s) this.flush(kind, s)
      s = {windowStart: now, count: 0, suppressed: 0}
      this.kinds.set(kind, s)
    }
    if (s.count < this.perWindow) {
      s.count++
      this.emit(msg)
      return
    }
    s.suppressed++
    if (!s.timer) {
      const state = s
      s.timer = setTimeout(() => this.flush(kind, state), this.windowMs - (now - s.windowStart))
      s.timer.unref()
    }
  }

  private flush(kind: string, s: KindState): void {
    if (s.timer) clearTimeout(s.timer)
    s.timer = undefined
    if (s.suppressed > 0) this.emit(`${s.suppressed} more "${kind}" events in ${this.windowMs / 1000}s were not logged`)
    s.suppressed = 0
  }

  close(): void {
    for (const [kind, s] of this.kinds) this.flush(kind, s)
  }
}
