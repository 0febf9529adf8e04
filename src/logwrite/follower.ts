// Follows memlogd's query socket and feeds the file sink, for as long as the
// signal allows: connect, read, and on any loss reconnect with backoff.
//
// Each connection first asks for diagkit's resume mode (after the saved
// cursor). A daemon that answers with the resume header is diagkit's; one
// that closes without data, resets, or answers with an ordinary (error) entry
// does not know the mode -- LinuxKit's memlogd closes on an unknown mode byte
// -- so logwrite reconnects at once in dump+follow and skips what the
// time-based fallback cursor says was written (see cursor.ts). The probe is
// repeated on every reconnect, since a restarted daemon may be the other kind.
//
// Data is handled a chunk at a time, as the socket delivers it: every whole
// line of the chunk is queued in the sink, then the sink writes each touched
// file once and the cursor is saved once. The cursor only ever covers lines
// already handed to write() (written or counted as not written).

import type net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {openQuery, type QueryMode} from '../client/query-client.js'
import {type LogEntry, parseEntry} from '../protocol/entry.js'
import {escapeText, formatFileLine} from '../protocol/text.js'
import {compareTime, type Cursor, emptyCursor, parseTime, type StateFile} from './cursor.js'
import type {FileSink} from './file-sink.js'
import {isSelfMessage, type RateLimitedReporter} from './reporter.js'

export type ConnectionKind = 'resume' | 'dump+follow'

export interface FollowerOptions {
  socketPath: string
  sink: FileSink
  reporter: RateLimitedReporter
  state?: StateFile
  cursor?: Cursor
  signal: AbortSignal
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** Told of each connection made (for tests and verbose output). */
  onConnected?(kind: ConnectionKind): void
}

export interface FollowerStats {
  connections: number
  entries: number
  /** Entries already written before (resume overlap or fallback skip). */
  duplicatesSkipped: number
  /** logwrite's own stderr messages seen in the ring and not written. */
  selfSkipped: number
  malformed: number
  /** Entries memlogd reported gone from its ring before logwrite read them. */
  lostByDaemon: number
}

interface Outcome {
  connected: boolean
  lines: number
  header: boolean
  error?: unknown
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

interface ResumeHeader {
  instance: string
  next: number
  lost: number
}

function parseHeader(line: string): ResumeHeader | undefined {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  if (typeof o.instance !== 'string' || typeof o.next !== 'number') return undefined
  return {instance: o.instance, next: o.next, lost: typeof o.lost === 'number' && o.lost > 0 ? o.lost : 0}
}

export class Follower {
  readonly stats: FollowerStats = {connections: 0, entries: 0, duplicatesSkipped: 0, selfSkipped: 0, malformed: 0, lostByDaemon: 0}
  readonly cursor: Cursor
  private readonly initialBackoffMs: number
  private readonly maxBackoffMs: number
  private announcedFallback = false

  // Per-connection state.
  private kind: ConnectionKind = 'resume'
  private awaitingHeader = false
  private skipping = false
  private skipTime: [number, number] | undefined
  private skipSame = 0
  private maxTime: [number, number] | undefined
  private partial: Buffer | undefined

  constructor(private readonly opts: FollowerOptions) {
    this.cursor = opts.cursor ? {...opts.cursor} : emptyCursor()
    this.initialBackoffMs = opts.initialBackoffMs ?? 100
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000
  }

  /** Runs until the signal aborts; then everything queued is written and the cursor saved. */
  async run(): Promise<void> {
    const {signal, reporter, socketPath} = this.opts
    let delay = this.initialBackoffMs
    try {
      while (!signal.aborted) {
        let out = await this.connection('resume')
        if (out.connected && !out.header && !signal.aborted) {
          if (!this.announcedFallback) {
            this.announcedFallback = true
            reporter.message(`memlogd at ${socketPath} has no resume mode (LinuxKit?): using dump+follow and a time-based cursor`)
          }
          out = await this.connection('dump+follow')
        }
        if (signal.aborted) break
        if (out.lines > 0) {
          delay = this.initialBackoffMs
          reporter.message(`lost the connection to memlogd at ${socketPath}; reconnecting`)
        } else if (!out.connected) {
          reporter.failure('connect', `cannot connect to memlogd at ${socketPath} (retrying)`, out.error, {again: `connected to memlogd at ${socketPath} again`})
        }
        await sleep(delay, undefined, {signal}).catch(() => undefined)
        delay = Math.min(delay * 2, this.maxBackoffMs)
      }
    } finally {
      this.opts.sink.flush()
      this.saveState()
    }
  }

  private async connection(kind: ConnectionKind): Promise<Outcome> {
    const {signal, socketPath} = this.opts
    const c = this.cursor
    const mode: QueryMode = kind === 'resume' ? {resume: {instance: c.instance, after: c.instance === '' ? 0 : c.seq}} : 'dump+follow'
    let sock: net.Socket
    try {
      sock = await openQuery({socketPath, mode})
    } catch (error) {
      return {connected: false, lines: 0, header: false, error}
    }
    this.opts.reporter.recovered('connect')
    this.stats.connections++
    this.startConnection(kind)
    this.opts.onConnected?.(kind)
    const out: Outcome = {connected: true, lines: 0, header: false}
    return new Promise((resolve) => {
      const onAbort = () => sock.destroy()
      if (signal.aborted) sock.destroy()
      else signal.addEventListener('abort', onAbort, {once: true})
      sock.on('data', (chunk: Buffer) => {
        if (!this.chunk(chunk, out)) sock.destroy()
      })
      sock.on('error', (error) => {
        out.error = error
      })
      sock.on('close', () => {
        signal.removeEventListener('abort', onAbort)
        resolve(out)
      })
    })
  }

  private startConnection(kind: ConnectionKind): void {
    this.kind = kind
    this.awaitingHeader = kind === 'resume'
    this.partial = undefined
    this.maxTime = this.cursor.time === '' ? undefined : parseTime(this.cursor.time)
    this.skipTime = kind === 'dump+follow' ? this.maxTime : undefined
    this.skipping = this.skipTime !== undefined
    this.skipSame = this.cursor.sameTime
  }

  /** Handles one chunk; false ends the connection (it is not the resume reply we asked for). */
  private chunk(chunk: Buffer, out: Outcome): boolean {
    const data = this.partial ? Buffer.concat([this.partial, chunk]) : chunk
    this.partial = undefined
    let start = 0
    let keep = true
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const line = data.toString('utf8', start, nl)
      start = nl + 1
      out.lines++
      if (this.awaitingHeader) {
        const h = parseHeader(line)
        if (!h) {
          keep = false
          break
        }
        this.header(h)
        out.header = true
        continue
      }
      this.entry(line)
    }
    if (keep && start < data.length) this.partial = Buffer.from(data.subarray(start))
    this.opts.sink.flush()
    this.saveState()
    return keep
  }

  private header(h: ResumeHeader): void {
    this.awaitingHeader = false
    const c = this.cursor
    if (h.instance !== c.instance) {
      if (c.instance !== '') this.opts.reporter.message(`memlogd restarted (instance ${c.instance} -> ${h.instance}): writing its ring from the start`)
      c.instance = h.instance
      c.seq = 0
    }
    if (h.lost > 0) {
      this.stats.lostByDaemon += h.lost
      this.opts.reporter.message(`${h.lost} entries left memlogd's ring before logwrite could write them`)
    }
  }

  private entry(line: string): void {
    let e: LogEntry
    try {
      e = parseEntry(line)
    } catch (error) {
      this.stats.malformed++
      this.opts.reporter.failure('malformed', `memlogd at ${this.opts.socketPath} sent an entry that is not valid`, error, {dropped: 1, again: `memlogd at ${this.opts.socketPath} sends valid entries again`})
      return
    }
    const c = this.cursor
    if (this.kind === 'resume') {
      if (e.seq !== undefined) {
        if (e.seq <= c.seq) {
          this.stats.duplicatesSkipped++
          return
        }
        c.seq = e.seq
      }
      if (e.time === c.time) c.sameTime++
      else {
        c.time = e.time
        c.sameTime = 1
      }
    } else if (!this.fallbackConsume(e)) {
      this.stats.duplicatesSkipped++
      return
    }
    if (isSelfMessage(e.msg)) {
      this.stats.selfSkipped++
      return
    }
    this.stats.entries++
    // The daemon's time goes into the file as it came: make sure it cannot break the line.
    if (CONTROL.test(e.time) || e.time.includes('\\')) e.time = escapeText(e.time)
    this.opts.sink.add(e.source, formatFileLine(e) + '\n')
  }

  /** Fallback cursor: false when the entry was written before (skip it). */
  private fallbackConsume(e: LogEntry): boolean {
    const t = parseTime(e.time)
    if (this.skipping) {
      if (t !== undefined && this.skipTime !== undefined) {
        const cmp = compareTime(t, this.skipTime)
        if (cmp < 0) return false
        if (cmp === 0 && this.skipSame > 0) {
          this.skipSame--
          return false
        }
      }
      this.skipping = false
    }
    if (t !== undefined) {
      const c = this.cursor
      const cmp = this.maxTime === undefined ? 1 : compareTime(t, this.maxTime)
      if (cmp > 0) {
        this.maxTime = t
        c.time = e.time
        c.sameTime = 1
      } else if (cmp === 0) {
        c.sameTime++
      }
    }
    return true
  }

  private saveState(): void {
    const st = this.opts.state
    if (!st) return
    try {
      st.save(this.cursor)
      this.opts.reporter.recovered('state')
    } catch (error) {
      this.opts.reporter.failure('state', `cannot save the cursor in ${st.path}`, error, {again: `saving the cursor in ${st.path} again`})
    }
  }
}
