// Serves the query socket (PROTOCOL.md §4). Every client is a cursor on the
// ring: a dump sends a snapshot of the ring's byte ranges (so it is complete
// even if the ring moves on meanwhile), a follower sends whatever lies past its
// cursor whenever its socket has room. A follower that falls behind the ring
// loses entries and is told how many; nobody else waits for it.

import type net from 'node:net'
import {DAEMON_SOURCE, MODE_DUMP, MODE_DUMP_FOLLOW, MODE_FOLLOW, MODE_RESUME} from '../protocol/constants.js'
import {nowRfc3339} from './entry-writer.js'
import type {Ring, RingRange} from './ring.js'

/** How much a follower is handed per pump before checking its socket again. */
const PUMP_BYTES = 256 * 1024
/** Longest request of the resume mode ("R<instance>:<seq>\n"). */
const MAX_REQUEST = 128

export interface QueryServerOptions {
  ring: Ring
  /** Identifies this daemon run, so a resuming client notices a restart. */
  instance: string
  /** A client that has not chosen a mode by then is closed. */
  clientTimeoutMs: number
  /**
   * A dump client that takes nothing for this long is closed: its snapshot
   * pins ring memory that the ring itself has already let go (default 30 s).
   */
  stallTimeoutMs?: number
}

/** One JSON entry from the daemon, outside the ring (errors, loss notices). */
export function daemonEntry(msg: string): Buffer {
  return Buffer.from(JSON.stringify({time: nowRfc3339(), source: DAEMON_SOURCE, msg}) + '\n')
}

type Mode = 'dump' | 'follow'

class QueryClient {
  private request: Buffer = Buffer.alloc(0)
  private mode: Mode | undefined
  private snapshot: RingRange[] = []
  private cursor = 0
  private waitingDrain = false
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private stallTimer: NodeJS.Timeout | undefined

  constructor(private readonly server: QueryServer, private readonly sock: net.Socket, timeoutMs: number) {
    this.timer = setTimeout(() => {
      const what = this.request.length === 0 ? 'no query mode byte' : 'an incomplete query request'
      this.fail(`${what} within ${timeoutMs / 1000}s; closing`)
    }, timeoutMs)
    sock.on('data', (chunk: Buffer) => this.onData(chunk))
    sock.on('drain', () => {
      this.waitingDrain = false
      clearTimeout(this.stallTimer)
      this.pump()
    })
    sock.on('error', () => this.close())
    sock.on('close', () => this.close())
    // A client may half-close after its mode byte; a dump still completes.
    sock.on('end', () => {
      if (this.mode === undefined) this.close()
    })
  }

  get following(): boolean {
    return this.mode === 'follow' && this.snapshot.length === 0
  }

  private onData(chunk: Buffer): void {
    if (this.mode !== undefined || this.closed) return // nothing more is expected: ignore
    this.request = this.request.length ? Buffer.concat([this.request, chunk]) : chunk
    const ring = this.server.ring
    const first = this.request[0]
    if (first === MODE_DUMP || first === MODE_FOLLOW || first === MODE_DUMP_FOLLOW) {
      this.start(first === MODE_DUMP ? 'dump' : 'follow', first === MODE_FOLLOW ? ring.nextSeq : ring.firstSeq)
      return
    }
    if (first === MODE_RESUME) {
      const nl = this.request.indexOf(10)
      if (nl === -1) {
        if (this.request.length > MAX_REQUEST) this.fail('resume request too long; expected "R<instance>:<seq>\\n"')
        return
      }
      const m = /^R([0-9a-z]*):(\d{1,16})$/.exec(this.request.subarray(0, nl).toString('latin1'))
      if (!m) {
        this.fail('malformed resume request; expected "R<instance>:<seq>\\n"')
        return
      }
      const sameRun = m[1] === this.server.instance
      const from = sameRun ? Number(m[2]) + 1 : ring.firstSeq
      const lost = sameRun ? Math.max(0, Math.min(ring.firstSeq, ring.nextSeq) - from) : 0
      const header = {instance: this.server.instance, next: Math.max(from, ring.firstSeq), lost}
      this.sock.write(JSON.stringify(header) + '\n')
      this.start('follow', Math.max(from, ring.firstSeq))
      return
    }
    this.fail(
      `invalid query mode byte 0x${first.toString(16).padStart(2, '0')}: ` +
        'expected 0 (dump), 1 (follow) or 2 (dump then follow)',
    )
  }

  private start(mode: Mode, from: number): void {
    clearTimeout(this.timer)
    this.mode = mode
    const ring = this.server.ring
    // Snapshot [from, nextSeq) now: later entries reach a follower through its cursor.
    this.snapshot = from < ring.nextSeq ? ring.ranges(from) : []
    this.cursor = ring.nextSeq
    this.pump()
  }

  /** Sends as much as the socket takes without queueing more than PUMP_BYTES. */
  pump(): void {
    if (this.closed || this.waitingDrain || this.mode === undefined) return
    const sock = this.sock
    while (this.snapshot.length > 0) {
      const range = this.snapshot.shift()!
      if (!sock.write(range.bytes)) {
        this.waitingDrain = true
        if (this.snapshot.length > 0) this.stallTimer = setTimeout(() => this.close(), this.server.stallTimeoutMs)
        return
      }
    }
    if (this.mode === 'dump') {
      this.mode = undefined
      clearTimeout(this.timer)
      sock.end()
      return
    }
    const ring = this.server.ring
    for (;;) {
      if (this.cursor < ring.firstSeq) {
        const lost = ring.firstSeq - this.cursor
        this.cursor = ring.firstSeq
        sock.write(daemonEntry(`this client lost ${lost} log entries: it read slower than they arrived and the ring (${ring.maxLines} lines) moved on`))
      }
      if (this.cursor >= ring.nextSeq) return
      const ranges = ring.ranges(this.cursor, PUMP_BYTES)
      let ok = true
      for (const r of ranges) {
        ok = sock.write(r.bytes)
        this.cursor = r.toSeq
      }
      if (!ok) {
        this.waitingDrain = true
        return
      }
    }
  }

  private fail(message: string): void {
    if (this.closed) return
    clearTimeout(this.timer)
    this.mode = undefined
    this.sock.end(daemonEntry(message))
    this.sock.setTimeout(1000, () => this.sock.destroy())
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    clearTimeout(this.stallTimer)
    this.snapshot = []
    this.sock.destroy()
    this.server.forget(this)
  }
}

export class QueryServer {
  readonly ring: Ring
  readonly instance: string
  readonly stallTimeoutMs: number
  private readonly clients = new Set<QueryClient>()
  private readonly timeoutMs: number

  constructor(opts: QueryServerOptions) {
    this.ring = opts.ring
    this.instance = opts.instance
    this.timeoutMs = opts.clientTimeoutMs
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 30_000
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** Starts serving connections of `server`. */
  attach(server: net.Server): void {
    server.on('connection', (sock) => {
      this.clients.add(new QueryClient(this, sock, this.timeoutMs))
    })
  }

  /** New entries are in the ring: wake followers that are caught up. */
  appended(): void {
    for (const c of this.clients) if (c.following) c.pump()
  }

  forget(c: QueryClient): void {
    this.clients.delete(c)
  }

  close(): void {
    for (const c of [...this.clients]) c.close()
  }
}
