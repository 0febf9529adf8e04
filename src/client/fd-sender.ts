// Hands an fd to memlogd over the log socket: one datagram, the source name as
// payload and the fd as SCM_RIGHTS (PROTOCOL.md §1).

import {setTimeout as sleep} from 'node:timers/promises'
import {closeQuietly, connectUnix, sendFds, unixSocket} from '../native/index.js'
import {connectFailureReason} from './connect-errors.js'

export class LogSocketError extends Error {
  override name = 'LogSocketError'
  constructor(message: string, readonly code: string) {
    super(message)
  }
}

/**
 * Sends `fds` under `name`. A full receive queue (EAGAIN) is retried until
 * timeoutMs, so a busy daemon delays the sender a little but never hangs it.
 */
export async function sendLogFds(socketPath: string, name: string | Buffer, fds: number[], timeoutMs = 2000): Promise<void> {
  const sock = unixSocket('dgram')
  try {
    try {
      connectUnix(sock, socketPath)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new LogSocketError(`cannot reach memlogd at ${socketPath}: ${connectFailureReason(code, socketPath, 'log')}`, code ?? 'EIO')
    }
    const payload = typeof name === 'string' ? Buffer.from(name, 'utf8') : name
    const deadline = Date.now() + timeoutMs
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        sendFds(sock, payload, fds)
        return
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code !== 'EAGAIN' || Date.now() >= deadline) {
          throw new LogSocketError(`cannot send to memlogd at ${socketPath}: ${connectFailureReason(code, socketPath, 'log')}`, code ?? 'EIO')
        }
      }
      await sleep(wait)
    }
  } finally {
    closeQuietly(sock)
  }
}
