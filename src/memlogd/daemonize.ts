// --daemonize: bind both sockets here, so clients can connect the moment this
// returns, then hand them to a detached copy of the daemon and return.

import {spawn} from 'node:child_process'
import {closeQuietly} from '../native/index.js'
import {createSocket, removeQuietly} from './socket-files.js'

export interface DaemonizeOptions {
  /** The CLI entry script (bin/run.js). */
  script: string
  logPath: string
  queryPath: string
  /** Flags for the background daemon besides its sockets. */
  flags: string[]
}

/** Returns the background daemon's pid once it has been started. */
export async function daemonize(opts: DaemonizeOptions): Promise<number> {
  const logFd = createSocket(opts.logPath, 'dgram')
  let queryFd: number
  try {
    queryFd = createSocket(opts.queryPath, 'stream')
  } catch (error) {
    closeQuietly(logFd)
    removeQuietly(opts.logPath)
    throw error
  }
  const args = [
    opts.script, 'memlogd', '--fd-log', '3', '--fd-query', '4',
    '--owned-socket', opts.logPath, '--owned-socket', opts.queryPath, ...opts.flags,
  ]
  const child = spawn(process.execPath, args, {detached: true, stdio: ['ignore', 'ignore', 'ignore', logFd, queryFd]})
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
  } catch (error) {
    removeQuietly(opts.logPath)
    removeQuietly(opts.queryPath)
    throw error
  } finally {
    closeQuietly(logFd)
    closeQuietly(queryFd)
  }
  child.unref()
  return child.pid!
}
