// memlogd assembled: the log socket feeds the ring, the query socket serves it,
// the console echo mirrors it. Knows nothing of the CLI.

import crypto from 'node:crypto'
import net from 'node:net'
import type {Writable} from 'node:stream'
import {closeQuietly, fdType, listenFd} from '../native/index.js'
import {DAEMON_SOURCE} from '../protocol/constants.js'
import {ConsoleEcho} from './console-echo.js'
import {EntryWriter, encodeSource} from './entry-writer.js'
import {FdIntake} from './fd-intake.js'
import {Notes} from './notes.js'
import {QueryServer} from './query-server.js'
import {Ring} from './ring.js'
import {SocketSetupError, createSocket, removeQuietly} from './socket-files.js'

export interface DaemonOptions {
  /** Path to bind the log (fd-passing) socket at, or an inherited bound fd. */
  log: {fd: number} | {path: string}
  /** Path to bind the query socket at, or an inherited bound, listening fd. */
  query: {fd: number} | {path: string}
  maxLines: number
  maxBytes: number
  maxLineLen: number
  /** Where to echo entries in text form; undefined for no echo. */
  console?: Writable
  /** Seconds a query client has to send its mode byte. */
  clientTimeoutMs: number
  /** Socket files to remove at stop (besides those this call binds itself). */
  ownedPaths?: string[]
}

export interface DaemonStats {
  instance: string
  entries: number
  bytes: number
  dropped: number
  streams: number
  clients: number
}

const DAEMON_SOURCE_JSON = encodeSource(Buffer.from(DAEMON_SOURCE))

/** The type of an fd inherited through --fd-log / --fd-query, or a user-fit error when it is not open. */
function inheritedType(fd: number, flag: string): string {
  try {
    return fdType(fd)
  } catch (error) {
    throw new SocketSetupError(`${flag} ${fd}: not an open fd (${(error as NodeJS.ErrnoException).code})`)
  }
}

function inheritedLogFd(fd: number): number {
  const type = inheritedType(fd, '--fd-log')
  if (type !== 'dgram-socket') throw new SocketSetupError(`--fd-log ${fd}: expected a bound dgram-socket, got ${type}`)
  return fd
}

/** An inherited query socket: listening already, or bound and made to listen here. */
function inheritedQueryFd(fd: number): number {
  const type = inheritedType(fd, '--fd-query')
  if (type === 'stream-socket') listenFd(fd)
  else if (type !== 'listening-socket') throw new SocketSetupError(`--fd-query ${fd}: expected a bound stream socket, got ${type}`)
  return fd
}

export class Daemon {
  readonly instance = crypto.randomBytes(8).toString('hex')
  readonly ring: Ring
  private readonly writer: EntryWriter
  private readonly notes: Notes
  private readonly query: QueryServer
  private readonly server: net.Server
  private readonly intake: FdIntake
  private readonly echo: ConsoleEcho | undefined
  private readonly owned: string[]
  private stopped: Promise<void> | undefined

  private constructor(opts: DaemonOptions, logFd: number, queryFd: number, owned: string[]) {
    this.owned = owned
    this.ring = new Ring(opts.maxLines, opts.maxBytes)
    this.writer = new EntryWriter(this.ring)
    this.echo = opts.console ? new ConsoleEcho(this.ring, opts.console) : undefined
    this.query = new QueryServer({ring: this.ring, instance: this.instance, clientTimeoutMs: opts.clientTimeoutMs})
    this.notes = new Notes((msg) => {
      this.writer.text(DAEMON_SOURCE_JSON, msg)
      this.appended()
    })
    this.server = net.createServer({allowHalfOpen: true, pauseOnConnect: false})
    this.query.attach(this.server)
    this.server.on('error', (err: NodeJS.ErrnoException) => this.note('query-error', `query socket error: ${err.code}`))
    this.server.listen({fd: queryFd})
    this.intake = new FdIntake(logFd, {
      maxLineLen: opts.maxLineLen,
      writer: this.writer,
      appended: () => this.appended(),
      note: (kind, msg) => this.note(kind, msg),
    })
    this.intake.start()
  }

  /** Binds (or adopts) both sockets and starts serving. Throws SocketSetupError with a user-fit message. */
  static start(opts: DaemonOptions): Daemon {
    const owned = [...(opts.ownedPaths ?? [])]
    let logFd: number | undefined
    let queryFd: number | undefined
    try {
      if ('fd' in opts.log) logFd = inheritedLogFd(opts.log.fd)
      else {
        logFd = createSocket(opts.log.path, 'dgram')
        owned.push(opts.log.path)
      }
      if ('fd' in opts.query) queryFd = inheritedQueryFd(opts.query.fd)
      else {
        queryFd = createSocket(opts.query.path, 'stream')
        owned.push(opts.query.path)
      }
      const d = new Daemon(opts, logFd, queryFd, owned)
      d.note('start', `memlogd started (instance ${d.instance}, max-lines ${opts.maxLines}, max-bytes ${opts.maxBytes}, max-line-len ${opts.maxLineLen})`)
      return d
    } catch (error) {
      if (logFd !== undefined && !('fd' in opts.log)) closeQuietly(logFd)
      if (queryFd !== undefined && !('fd' in opts.query)) closeQuietly(queryFd)
      for (const p of owned.slice(opts.ownedPaths?.length ?? 0)) removeQuietly(p)
      throw error
    }
  }

  note(kind: string, msg: string): void {
    this.notes.note(kind, msg)
  }

  stats(): DaemonStats {
    return {
      instance: this.instance,
      entries: this.ring.length,
      bytes: this.ring.bytes,
      dropped: this.ring.dropped,
      streams: this.intake.activeStreams,
      clients: this.query.clientCount,
    }
  }

  private appended(): void {
    this.query.appended()
    this.echo?.appended()
  }

  /** Stops receiving and serving, closes every fd and removes the socket files. */
  stop(): Promise<void> {
    this.stopped ??= new Promise((resolve) => {
      this.notes.close()
      this.intake.close()
      closeQuietly(this.intake.fd)
      this.echo?.close()
      this.query.close()
      for (const p of this.owned) removeQuietly(p)
      this.server.close(() => resolve())
    })
    return this.stopped
  }
}
