// Typed, throwing wrappers around the addon. Everything Node itself can do
// (pipes, stream sockets, files) stays in Node; this covers only the rest.
import fs from 'node:fs'
import {binding, type FdType} from './binding.js'
import {check, systemError} from './errors.js'

export type {FdType} from './binding.js'
export {systemError} from './errors.js'

/** A non-blocking, close-on-exec AF_UNIX socket. */
export function unixSocket(type: 'dgram' | 'stream'): number {
  return check(binding.socket(type), 'socket')
}

export function bindUnix(fd: number, path: string): void {
  check(binding.bind(fd, path), 'bind', path)
}

export function listenFd(fd: number, backlog = 511): void {
  check(binding.listen(fd, backlog), 'listen')
}

export function connectUnix(fd: number, path: string): void {
  check(binding.connect(fd, path), 'connect', path)
}

/** Sends one datagram carrying `fds` (SCM_RIGHTS). Throws EAGAIN when the receiver's queue is full. */
export function sendFds(fd: number, payload: Buffer, fds: number[]): number {
  return check(binding.sendFds(fd, payload, fds), 'sendmsg')
}

/** A connected pair of blocking, close-on-exec SOCK_STREAM sockets. */
export function socketPair(): [number, number] {
  return check(binding.socketPair(), 'socketpair')
}

export function peerCred(fd: number): {gid: number; pid: number; uid: number} {
  return check(binding.peerCred(fd), 'getsockopt')
}

export function fdType(fd: number): FdType {
  return check(binding.fdType(fd), 'fstat')
}

export function lseek(fd: number, offset: number, whence: 'cur' | 'data' | 'end' | 'set'): number {
  return check(binding.lseek(fd, offset, whence), 'lseek')
}

const clockBuf = new Float64Array(2)

/** CLOCK_REALTIME as [seconds, nanoseconds]; the array is reused by the next call. */
export function realtime(): Float64Array {
  binding.clock('realtime', clockBuf)
  return clockBuf
}

/** CLOCK_MONOTONIC as [seconds, nanoseconds]; the array is reused by the next call. */
export function monotonic(): Float64Array {
  binding.clock('monotonic', clockBuf)
  return clockBuf
}

/** What one kmsgDrain call read: records back to back, and how the reading ended. */
export interface KmsgBatch {
  /** The records as read, back to back. */
  data: Buffer
  /** End offset in data of each record. */
  ends: Uint32Array
  /** Record indexes an EPIPE (records overwritten) came just before; ends.length = after the last one. */
  epipe: number[]
  /** 'drained' = EAGAIN, 'eof' = a 0-byte read, 'more' = the call's size cap was reached (call again), 'error' = see error. */
  end: 'drained' | 'eof' | 'error' | 'more'
  /** The read error that ended the batch (records before it are in data). */
  error?: NodeJS.ErrnoException
}

/**
 * Reads a non-blocking /dev/kmsg fd until EAGAIN in one native call (one
 * record per read of readSize bytes), instead of one JS call per record.
 */
export function kmsgDrain(fd: number, readSize: number): KmsgBatch {
  const [data, ends, epipe, status] = check(binding.kmsgDrain(fd, readSize), 'read')
  return kmsgBatch(data, ends, epipe, status)
}

function kmsgBatch(data: Buffer, ends: Uint32Array, epipe: number[], status: number): KmsgBatch {
  if (status < 0) return {data, ends, epipe, end: 'error', error: systemError(status, 'read')}
  return {data, ends, epipe, end: status === 0 ? 'drained' : status === 1 ? 'eof' : 'more'}
}

/** Reads /dev/kmsg on a thread of its own while the caller parses what came before. */
export interface KmsgReadAhead {
  /** The next chunk, in order; `last` marks the final one (its end says how the reading ended). */
  next(): {batch: KmsgBatch; last: boolean}
  /** Stops the thread and waits for it: call before closing the fd. */
  close(): void
}

/**
 * Starts reading a non-blocking /dev/kmsg fd (records of readSize bytes at
 * most) on a native thread, so that a dump's reads overlap its parsing. The
 * chunks together are what kmsgDrain would have returned.
 */
export function startKmsgReadAhead(fd: number, readSize: number): KmsgReadAhead {
  const raw = new binding.KmsgReadAhead(fd, readSize)
  return {
    next() {
      const chunk = raw.next()
      if (chunk === null) throw new Error('KmsgReadAhead: next() after the last chunk')
      const [data, ends, epipe, status, last] = chunk
      return {batch: kmsgBatch(data, ends, epipe, status), last}
    },
    close: () => raw.close(),
  }
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // already closed or never valid: nothing to release
  }
}

export interface Datagram {
  name: Buffer
  fds: number[]
  /** MSG_TRUNC: the payload was longer than the receive buffer. */
  truncated: boolean
  /** MSG_CTRUNC: more fds were sent than the control buffer takes; extra fds were dropped by the kernel. */
  controlTruncated: boolean
}

export interface DatagramHandlers {
  datagram(d: Datagram): void
  error(err: NodeJS.ErrnoException): void
  /** The process is at its fd limit: receiving is paused until resume(). */
  fdLimit(err: NodeJS.ErrnoException): void
}

/**
 * Receives datagrams with their fds from a bound AF_UNIX SOCK_DGRAM socket.
 * Holds `maxFds` spare fds so the kernel never drops a datagram's fds for lack
 * of room; at the fd limit it pauses and reports instead of spinning.
 */
export class DatagramReceiver {
  private readonly raw
  private closed = false

  constructor(readonly fd: number, maxFds: number, handlers: DatagramHandlers) {
    this.raw = new binding.DgramReceiver(fd, maxFds, (kind, a, fds, trunc, ctrunc) => {
      if (kind === 0) {
        handlers.datagram({name: a as Buffer, fds: fds ?? [], truncated: Boolean(trunc), controlTruncated: Boolean(ctrunc)})
      } else if (kind === 2) {
        handlers.fdLimit(systemError(a as number, 'recvmsg'))
      } else {
        handlers.error(systemError(a as number, 'recvmsg'))
      }
    })
  }

  start(): void {
    check(this.raw.start(), 'uv_poll_start')
  }

  stop(): void {
    this.raw.stop()
  }

  /** Stops watching; the caller still owns (and closes) the fd. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.raw.close()
  }
}

/** Readiness watch on any pollable fd; the caller reads (non-blocking) when told. */
export class ReadinessWatch {
  private readonly raw
  private closed = false

  constructor(readonly fd: number, onReady: (err: NodeJS.ErrnoException | undefined) => void) {
    this.raw = new binding.Poller(fd, (status) => onReady(status < 0 ? systemError(status, 'poll') : undefined))
  }

  start(): void {
    check(this.raw.start(true, false), 'uv_poll_start')
  }

  stop(): void {
    this.raw.stop()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.raw.close()
  }
}

/**
 * Calls onGone once when the reader of a pipe we write to has gone away
 * (EPOLLERR on the write end), without writing anything. Watches its own
 * descriptor of the pipe so it never competes with the stream that writes.
 * Returns a stop function; does nothing for fds that are not pipes or FIFOs.
 */
export function watchPipeReaderGone(fd: number, onGone: () => void): () => void {
  let type: FdType
  try {
    type = fdType(fd)
  } catch {
    return () => {}
  }
  if (type !== 'pipe' && type !== 'fifo') return () => {}
  let own: number
  try {
    own = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
  } catch (error) {
    // ENXIO: a FIFO opened for writing without a reader: it is gone already.
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') setImmediate(onGone)
    return () => {}
  }
  const raw = new binding.Poller(own, (status) => {
    if (status < 0) {
      stop()
      onGone()
    }
  })
  let stopped = false
  function stop() {
    if (stopped) return
    stopped = true
    raw.close()
    closeQuietly(own)
  }
  if (raw.start(false, false, true) < 0) stop()
  return stop
}
