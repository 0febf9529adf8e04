// Creating the daemon's sockets on paths that may hold a stale socket from a
// crashed run (replaced) or a live daemon (a clear error, never stolen).

import fs from 'node:fs'
import {bindUnix, closeQuietly, connectUnix, listenFd, unixSocket} from '../native/index.js'

export class SocketSetupError extends Error {
  override name = 'SocketSetupError'
}

function describe(err: NodeJS.ErrnoException, path: string): string {
  switch (err.code) {
    case 'ENOENT': return `cannot create socket ${path}: its directory does not exist`
    case 'EACCES': return `cannot create socket ${path}: permission denied`
    case 'ENAMETOOLONG': return `cannot create socket ${path}: path too long for a Unix socket (max 107 bytes)`
    case 'EROFS': return `cannot create socket ${path}: read-only file system`
    default: return `cannot create socket ${path}: ${err.code ?? err.message}`
  }
}

/** Removes a stale socket at path; throws if a live one answers or the path is not a socket. */
export function clearStaleSocket(path: string, type: 'dgram' | 'stream'): void {
  let st: fs.Stats
  try {
    st = fs.lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new SocketSetupError(describe(error as NodeJS.ErrnoException, path))
  }
  if (!st.isSocket()) throw new SocketSetupError(`${path} exists and is not a socket; refusing to replace it`)
  const probe = unixSocket(type)
  try {
    connectUnix(probe, path)
    throw new SocketSetupError(`memlogd is already running: ${path} accepts connections`)
  } catch (error) {
    if (error instanceof SocketSetupError) throw error
    const code = (error as NodeJS.ErrnoException).code
    // EAGAIN: a live listener with a full backlog is still a live listener.
    if (code === 'EAGAIN') throw new SocketSetupError(`memlogd is already running: ${path} is busy`)
    if (code !== 'ECONNREFUSED') throw new SocketSetupError(describe(error as NodeJS.ErrnoException, path))
  } finally {
    closeQuietly(probe)
  }
  fs.unlinkSync(path)
}

/** A bound (and for streams, listening) socket at path, as an fd. */
export function createSocket(path: string, type: 'dgram' | 'stream'): number {
  clearStaleSocket(path, type)
  const fd = unixSocket(type)
  try {
    bindUnix(fd, path)
    if (type === 'stream') listenFd(fd)
  } catch (error) {
    closeQuietly(fd)
    throw new SocketSetupError(describe(error as NodeJS.ErrnoException, path))
  }
  return fd
}

export function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch {
    // already gone
  }
}
