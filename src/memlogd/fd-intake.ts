// Receives fds over the log socket (PROTOCOL.md §1) and reads each one line by
// line into the ring. Pipes, FIFOs and stream sockets are read through libuv
// (net.Socket on the fd: epoll, no threadpool thread pinned per idle pipe);
// regular files with bounded fs.read; anything else is refused and closed.

import fs from 'node:fs'
import net from 'node:net'
import {DatagramReceiver, type Datagram, closeQuietly, fdType} from '../native/index.js'
import {decodeUtf8PerByte} from '../protocol/json-bytes.js'
import {utf8Cut, LineFramer} from './line-framer.js'
import {encodeSource, type EntryWriter} from './entry-writer.js'

/** Longest source name kept, in bytes (a file-name component's limit). */
export const MAX_SOURCE_BYTES = 255
/** Most fds accepted in one datagram; more is MSG_CTRUNC. */
export const MAX_FDS_PER_DATAGRAM = 16

const FILE_READ_SIZE = 64 * 1024
/** Shared by every stream: each read is consumed synchronously before the next. */
const STREAM_READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

export interface IntakeOptions {
  maxLineLen: number
  writer: EntryWriter
  /** Called after entries were added to the ring. */
  appended(): void
  /** The daemon's own events, rate-limited per kind. */
  note(kind: string, msg: string): void
}

/** Shows a name in the daemon's notes: decoded and quoted, so odd bytes are visible. */
function show(name: Uint8Array): string {
  return JSON.stringify(decodeUtf8PerByte(name))
}

/** Strips trailing NULs (the original design sent C strings) and caps the length. */
export function cleanSourceName(raw: Buffer): {name: Buffer; cut: boolean} {
  let end = raw.length
  while (end > 0 && raw[end - 1] === 0) end--
  if (end <= MAX_SOURCE_BYTES) return {name: raw.subarray(0, end), cut: false}
  return {name: raw.subarray(0, utf8Cut(raw, 0, MAX_SOURCE_BYTES)), cut: true}
}

export class FdIntake {
  private receiver: DatagramReceiver
  private paused = false
  private readonly streams = new Set<{close(): void}>()
  private backoffMs = 0
  private resumeTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(readonly fd: number, private readonly opts: IntakeOptions) {
    this.receiver = this.newReceiver()
  }

  private newReceiver(): DatagramReceiver {
    return new DatagramReceiver(this.fd, MAX_FDS_PER_DATAGRAM, {
      datagram: (d) => this.onDatagram(d),
      error: (err) => this.opts.note('socket-error', `log socket receive failed: ${err.code}; still listening`),
      fdLimit: (err) => this.onFdLimit(err),
    })
  }

  get activeStreams(): number {
    return this.streams.size
  }

  start(): void {
    this.receiver.start()
  }

  close(): void {
    this.closed = true
    clearTimeout(this.resumeTimer)
    this.receiver.close()
    for (const s of [...this.streams]) s.close()
  }

  private onDatagram(d: Datagram): void {
    const {name, cut} = cleanSourceName(d.name)
    let problem: string | undefined
    if (d.truncated) problem = `datagram longer than the receive buffer (name starts ${show(name.subarray(0, 40))})`
    else if (d.controlTruncated) problem = `datagram for ${show(name)} carried more fds than the ${MAX_FDS_PER_DATAGRAM} accepted`
    else if (d.fds.length === 0) problem = `datagram for ${show(name)} carried no fd`
    if (problem) {
      for (const fd of d.fds) closeQuietly(fd)
      this.opts.note('bad-datagram', `ignored ${problem}${d.fds.length ? `; closed its ${d.fds.length} fd(s)` : ''}`)
      return
    }
    if (cut) this.opts.note('long-name', `source name of ${d.name.length} bytes cut to ${name.length} bytes: ${show(name)}`)
    const sourceJson = encodeSource(name)
    for (const fd of d.fds) this.adopt(fd, name, sourceJson)
  }

  private adopt(fd: number, name: Buffer, sourceJson: Buffer): void {
    let type: string
    try {
      type = fdType(fd)
    } catch (error) {
      closeQuietly(fd)
      this.opts.note('bad-fd', `could not inspect fd for ${show(name)}: ${(error as NodeJS.ErrnoException).code}`)
      return
    }
    try {
      if (type === 'pipe' || type === 'fifo' || type === 'stream-socket') this.readStream(fd, name, sourceJson)
      else if (type === 'file') this.readFile(fd, name, sourceJson)
      else {
        closeQuietly(fd)
        this.opts.note('bad-fd', `refused fd of type ${type} for ${show(name)}: only pipes, FIFOs, stream sockets and regular files are read`)
      }
    } catch (error) {
      closeQuietly(fd)
      this.opts.note('bad-fd', `could not read fd for ${show(name)}: ${(error as Error).message}`)
    }
  }

  private framer(sourceJson: Buffer): {push(chunk: Uint8Array): void; end(): void} {
    const {writer, appended, maxLineLen} = this.opts
    const framer = new LineFramer(maxLineLen, (buf, start, end) => writer.line(buf, start, end))
    return {
      push(chunk) {
        writer.begin(sourceJson)
        framer.push(chunk)
        appended()
      },
      end() {
        writer.begin(sourceJson)
        framer.end()
        appended()
      },
    }
  }

  private readStream(fd: number, name: Buffer, sourceJson: Buffer): void {
    const framer = this.framer(sourceJson)
    // onread: libuv reads into one shared buffer that the framer consumes at
    // once, instead of a fresh Buffer per read left for the GC (a 10 MiB line
    // grew the RSS by 10 MiB that way).
    // (Node 20 takes onread here too; @types/node only declares it for connect().)
    const opts: net.SocketConstructorOpts & {onread: net.OnReadOpts} = {
      fd, readable: true, writable: false, allowHalfOpen: true,
      onread: {buffer: STREAM_READ_BUFFER, callback: (n: number, buf: Uint8Array) => {
        framer.push(buf.subarray(0, n))
        return true
      }},
    }
    const sock = new net.Socket(opts)
    let finished = false
    const handle = {
      close: () => {
        if (!finished) {
          finished = true
          framer.end()
        }
        sock.destroy()
      },
    }
    this.streams.add(handle)
    sock.on('end', () => handle.close())
    // E.g. a pipe's write end sent by mistake (ENOTCONN): say so instead of dropping it silently.
    sock.on('error', (err: NodeJS.ErrnoException) => {
      this.opts.note('read-error', `reading the fd for ${show(name)} failed: ${err.code}; closed it`)
      handle.close()
    })
    sock.on('close', () => {
      handle.close()
      this.streamClosed(handle)
    })
  }

  private readFile(fd: number, name: Buffer, sourceJson: Buffer): void {
    const framer = this.framer(sourceJson)
    const buf = Buffer.allocUnsafe(FILE_READ_SIZE)
    let done = false
    const handle = {
      close: () => {
        if (done) return
        done = true
        framer.end()
        closeQuietly(fd)
        this.streamClosed(handle)
      },
    }
    this.streams.add(handle)
    const next = () => {
      if (done) return
      fs.read(fd, buf, 0, buf.length, null, (err, n) => {
        if (done) return
        if (err || n === 0) {
          if (err) this.opts.note('read-error', `reading the fd for ${show(name)} failed: ${err.code}; closed it`)
          handle.close()
          return
        }
        framer.push(buf.subarray(0, n))
        next()
      })
    }
    next()
  }

  private streamClosed(handle: {close(): void}): void {
    this.streams.delete(handle)
    // An fd was released: if receiving paused at the fd limit, try again now.
    if (this.backoffMs > 0 && !this.closed) {
      clearTimeout(this.resumeTimer)
      this.resumeTimer = setTimeout(() => this.resume(), 10)
    }
  }

  private onFdLimit(err: NodeJS.ErrnoException): void {
    // A paused receiver keeps the spare fds it managed to dup, which left the
    // process none for query clients (a dump at the limit got ECONNRESET):
    // close it, which releases them, and make a fresh one on resume.
    this.receiver.close()
    this.paused = true
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), 5000)
    this.opts.note(
      'fd-limit',
      `at the open-file limit (${err.code}) with ${this.streams.size} log streams open: ` +
        'new log fds wait in the socket queue until some close',
    )
    clearTimeout(this.resumeTimer)
    this.resumeTimer = setTimeout(() => this.resume(), this.backoffMs)
  }

  private resume(): void {
    if (this.closed) return
    if (this.paused) {
      this.paused = false
      this.receiver = this.newReceiver()
    }
    this.receiver.start()
    // If still at the limit, the receiver reports again and the backoff grows;
    // otherwise reset it after a quiet period.
    const seen = this.backoffMs
    setTimeout(() => {
      if (this.backoffMs === seen) this.backoffMs = 0
    }, seen * 2).unref()
  }
}
