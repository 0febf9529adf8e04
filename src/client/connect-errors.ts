// Why a connection to one of memlogd's sockets failed, in words that point at
// the fix. Both clients (the query client and the fd sender) use it.

import fs from 'node:fs'

export type SocketRole = 'log' | 'query'

/** A short reason for errno `code` when connecting to `path`, memlogd's `role` socket. */
export function connectFailureReason(code: string | undefined, path: string, role: SocketRole): string {
  switch (code) {
    case 'ENOENT':
      return 'no such socket (is memlogd running?)'
    case 'ECONNREFUSED': {
      // Linux answers ECONNREFUSED for a path that is not a socket at all, too.
      let kind: string | undefined
      try {
        const st = fs.statSync(path)
        if (!st.isSocket()) kind = st.isDirectory() ? 'a directory' : 'a file'
      } catch {
        // gone meanwhile: treat as stale
      }
      if (kind) return `not a socket but ${kind}`
      return role === 'query'
        ? 'nobody is listening (memlogd is not running; the socket file is stale)'
        : 'nobody is listening (memlogd is not running)'
    }
    case 'EPROTOTYPE':
      return role === 'query'
        ? "wrong kind of socket: this looks like memlogd's log socket; use its query socket (memlogd --socket-query)"
        : "wrong kind of socket: this looks like memlogd's query socket; use its log socket (memlogd --socket-log)"
    case 'EPIPE':
    case 'ECONNRESET':
      return role === 'query'
        ? "it closed the connection at once (is this memlogd's query socket?)"
        : "it closed the connection at once (is this memlogd's log socket?)"
    case 'EACCES':
      return 'permission denied (try as root)'
    case 'ENOTDIR':
      return 'a part of the path is not a directory'
    case 'ENAMETOOLONG':
      return 'the path is too long for a Unix socket (at most 107 bytes)'
    case 'EAGAIN':
      return role === 'log' ? 'memlogd did not take the fd in time (its queue is full)' : 'memlogd is too busy to accept connections'
    default:
      return code ?? 'unknown error'
  }
}
