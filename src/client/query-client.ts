// Client of memlogd's query socket (PROTOCOL.md §4): connect, send one mode
// byte, then read NDJSON entries until EOF (dump) or until told to stop.
// Works against diagkit's memlogd and LinuxKit's alike.

import net from 'node:net'
import {MODE_DUMP, MODE_DUMP_FOLLOW, MODE_FOLLOW, MODE_RESUME} from '../protocol/constants.js'
import {type LogEntry, parseEntry} from '../protocol/entry.js'
import {connectFailureReason} from './connect-errors.js'

export type QueryMode = 'dump' | 'dump+follow' | 'follow' | {resume: {instance: string; after: number}}

export interface QueryOptions {
  socketPath: string
  mode: QueryMode
  /** Aborting ends the iteration quietly and closes the connection. */
  signal?: AbortSignal
}

/** A failure to talk to memlogd, with a message fit for a user. */
export class QueryError extends Error {
  override name = 'QueryError'
  /** message without the "cannot connect to memlogd at <path>:" part, for callers that say that themselves. */
  readonly reason: string
  constructor(message: string, readonly code: string, reason?: string) {
    super(message)
    this.reason = reason ?? message
  }
}

export function modeRequest(mode: QueryMode): Buffer {
  if (mode === 'dump') return Buffer.from([MODE_DUMP])
  if (mode === 'follow') return Buffer.from([MODE_FOLLOW])
  if (mode === 'dump+follow') return Buffer.from([MODE_DUMP_FOLLOW])
  return Buffer.from(`${String.fromCharCode(MODE_RESUME)}${mode.resume.instance}:${mode.resume.after}\n`, 'utf8')
}

function connectError(err: NodeJS.ErrnoException, socketPath: string): QueryError {
  const why = err.code ? connectFailureReason(err.code, socketPath, 'query') : err.message
  return new QueryError(`cannot connect to memlogd at ${socketPath}: ${why}`, err.code ?? 'EIO', why)
}

/** Opens the connection and sends the mode; resolves once connected. */
export function openQuery(opts: QueryOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(opts.socketPath)
    const onError = (err: NodeJS.ErrnoException) => {
      sock.destroy()
      reject(connectError(err, opts.socketPath))
    }
    sock.once('error', onError)
    sock.once('connect', () => {
      // Handed over only once the request is written: a peer that accepts and
      // closes at once makes this write fail (EPIPE), and that error must
      // reach onError, not a socket nobody listens on yet.
      sock.write(modeRequest(opts.mode), (err) => {
        if (err) return // onError has it
        sock.off('error', onError)
        resolve(sock)
      })
    })
  })
}

/**
 * Yields raw entry lines (without the newline) as the daemon sent them.
 * Ends at EOF; an EOF in the middle of a line or a connection error throws a
 * QueryError. A dump ends when the daemon closes: that means "drained".
 */
export async function* queryLines(opts: QueryOptions): AsyncGenerator<Buffer> {
  if (opts.signal?.aborted) return
  const sock = await openQuery(opts)
  // Aborted while connecting: an 'abort' listener added now would never fire.
  if (opts.signal?.aborted) {
    sock.destroy()
    return
  }
  const onAbort = () => sock.destroy()
  opts.signal?.addEventListener('abort', onAbort, {once: true})
  let pending: Buffer | undefined
  try {
    for await (const chunk of sock as AsyncIterable<Buffer>) {
      const data = pending ? Buffer.concat([pending, chunk]) : chunk
      pending = undefined
      let start = 0
      let nl: number
      while ((nl = data.indexOf(10, start)) !== -1) {
        yield data.subarray(start, nl)
        start = nl + 1
      }
      if (start < data.length) pending = Buffer.from(data.subarray(start))
    }
  } catch (error) {
    if (opts.signal?.aborted) return
    const err = error as NodeJS.ErrnoException
    throw new QueryError(`connection to memlogd at ${opts.socketPath} failed: ${err.code ?? err.message}`, err.code ?? 'EIO')
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    sock.destroy()
  }
  if (opts.signal?.aborted) return
  if (pending && pending.length > 0) {
    throw new QueryError(`memlogd at ${opts.socketPath} closed the connection in the middle of an entry`, 'EPROTO')
  }
}

/** Like queryLines, parsed into entries. */
export async function* queryEntries(opts: QueryOptions): AsyncGenerator<LogEntry> {
  for await (const line of queryLines(opts)) {
    try {
      yield parseEntry(line.toString('utf8'))
    } catch (error) {
      throw new QueryError(`memlogd at ${opts.socketPath} sent a malformed entry: ${(error as Error).message}`, 'EPROTO')
    }
  }
}
