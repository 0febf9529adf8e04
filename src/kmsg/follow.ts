// Follow mode: drain what is held, then drain again on every readiness event
// (uv_poll through the addon) — never a blocking read, never a busy loop.
// A read error other than EINVAL closes the device and reopens it with
// backoff; the reader resumes after the last seq it delivered.
import {kmsgDrain, lseek, ReadinessWatch} from '../native/index.js'
import {DEFAULT_KMSG_DEVICE, openKmsgDevice, type KmsgDevice} from './device.js'
import {KmsgReader, KmsgReadError, type ReaderOptions} from './reader.js'
import type {KmsgRecord} from './record.js'

export interface Watch {
  start(): void
  stop(): void
  close(): void
}

export interface FollowOptions extends ReaderOptions {
  device?: string
  /** Start after everything held now (first open only; a reopen resumes after the last seq). */
  sinceEnd?: boolean
  /** Called once per drained batch, in order. */
  onRecords(records: KmsgRecord[]): void
  /** A transient failure; the follower retries after `retryMs`. */
  onRetry?(err: Error, retryMs: number): void
  open?: (path: string) => KmsgDevice
  watch?: (fd: number, onReady: (err: Error | undefined) => void) => Watch
  initialBackoffMs?: number
  maxBackoffMs?: number
}

const FATAL_OPEN = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENXIO', 'ENODEV', 'EISDIR'])

export class KmsgFollower {
  /** Settles when the follower stops: resolves on stop(), rejects on a fatal error. */
  readonly done: Promise<void>
  private resolveDone!: () => void
  private rejectDone!: (err: Error) => void
  private device: KmsgDevice | undefined
  private watcher: Watch | undefined
  private reader: KmsgReader | undefined
  private timer: NodeJS.Timeout | undefined
  private backoff: number
  private stopped = false
  private errorsInARow = 0

  constructor(private readonly opts: FollowOptions) {
    this.backoff = opts.initialBackoffMs ?? 100
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
  }

  get lastSeq(): bigint | undefined {
    return this.reader?.lastSeq
  }

  /** Opens the device; throws (synchronously) when it cannot be opened at all. */
  start(): void {
    const dev = this.openDevice()
    try {
      if (this.opts.sinceEnd) dev.seekEnd()
      this.reader = new KmsgReader(dev, this.opts)
      this.attach(dev)
    } catch (error) {
      this.stopped = true
      this.detach()
      dev.close()
      throw error
    }
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.detach()
    this.resolveDone()
  }

  private openDevice(): KmsgDevice {
    const path = this.opts.device ?? DEFAULT_KMSG_DEVICE
    return this.opts.open ? this.opts.open(path) : openKmsgDevice(path, lseek, kmsgDrain)
  }

  private attach(dev: KmsgDevice): void {
    this.device = dev
    if (dev.fd === undefined) throw new Error('kmsg device has no fd to watch')
    const make = this.opts.watch ?? ((fd, cb) => new ReadinessWatch(fd, cb))
    this.watcher = make(dev.fd, (err) => this.onReady(err))
    this.watcher.start()
    this.drainNow(undefined)
  }

  private detach(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.watcher?.close() // the poll stops before its fd is closed
    this.watcher = undefined
    this.device?.close()
    this.device = undefined
  }

  private onReady(err: Error | undefined): void {
    if (this.stopped || !this.device) return
    this.drainNow(err)
    // libuv stops a poll that reports POLLERR (kmsg raises it when records were overwritten); re-arm.
    if (err && this.watcher && !this.stopped) this.watcher.start()
  }

  private drainNow(pollErr: Error | undefined): void {
    const batch: KmsgRecord[] = []
    try {
      const end = this.reader!.drain((r) => batch.push(r))
      if (end === 'eof') throw new KmsgReadError(`read ${this.device!.path}: unexpected end of file`, 'EOF')
      if (pollErr && batch.length === 0) {
        // Two poll errors in a row with nothing to read: do not spin, reopen.
        if (++this.errorsInARow >= 2) throw pollErr
      } else {
        this.errorsInARow = 0
        if (batch.length > 0) this.backoff = this.opts.initialBackoffMs ?? 100
      }
    } catch (error) {
      if (batch.length > 0) this.opts.onRecords(batch)
      this.fail(error as Error)
      return
    }
    if (batch.length > 0) this.opts.onRecords(batch)
  }

  private fail(err: Error): void {
    if (err instanceof KmsgReadError && err.code === 'EINVAL') {
      this.stopped = true
      this.detach()
      this.rejectDone(err)
      return
    }
    this.detach()
    const wait = this.backoff
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 5000)
    this.opts.onRetry?.(err, wait)
    this.timer = setTimeout(() => this.reopen(), wait)
  }

  private reopen(): void {
    this.timer = undefined
    if (this.stopped) return
    let dev: KmsgDevice
    try {
      dev = this.openDevice()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Permission lost is final; a device that vanished for a moment is retried.
      if (code !== undefined && FATAL_OPEN.has(code) && code !== 'ENOENT') {
        this.stopped = true
        this.rejectDone(error as Error)
        return
      }
      this.fail(error as Error)
      return
    }
    this.errorsInARow = 0
    this.reader!.replaceDevice(dev)
    try {
      this.attach(dev)
    } catch (error) {
      this.fail(error as Error)
    }
  }
}
