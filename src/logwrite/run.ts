// Wires the pieces together: log directory, state file, sink, follower.

import path from 'node:path'
import {StateFile} from './cursor.js'
import {FileSink, type SinkStats} from './file-sink.js'
import {Follower, type FollowerStats} from './follower.js'
import {RateLimitedReporter} from './reporter.js'
import {makeDirsSync} from '../util/make-dirs.js'

export interface LogwriteOptions {
  socketPath: string
  logDir: string
  maxLogSize: number
  maxLogFiles: number
  compress: boolean
  maxOpenFiles: number
  /** Default: <logDir>/.logwrite-cursor (a dot-file, never taken for a log). */
  stateFile?: string
  signal: AbortSignal
  /** Where logwrite's own messages go (stderr); never the log files. */
  writeMessage(line: string): void
  /** Called with a function that reopens every file (for SIGHUP). */
  onReopen?(reopen: () => void): void
}

export interface LogwriteResult {
  sink: SinkStats
  follower: FollowerStats
}

/** A directory problem the user must fix before logwrite can start. */
export class LogwriteSetupError extends Error {
  override name = 'LogwriteSetupError'
}

export async function runLogwrite(opts: LogwriteOptions): Promise<LogwriteResult> {
  const reporter = new RateLimitedReporter({write: opts.writeMessage})
  const dir = path.resolve(opts.logDir)
  try {
    makeDirsSync(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new LogwriteSetupError(`--log-dir ${dir} is not a directory`)
    // Not creatable yet (a disk not mounted, no permission): keep going, report, retry at each write.
    reporter.failure(`dir:${dir}`, `cannot create ${dir}`, error)
  }
  const state = new StateFile(opts.stateFile ?? path.join(dir, '.logwrite-cursor'))
  let cursor
  try {
    cursor = state.load()
  } catch (error) {
    reporter.message(`${(error as Error).message}: starting from the whole ring`)
  }
  const sink = new FileSink({
    dir,
    maxSize: opts.maxLogSize,
    maxFiles: opts.maxLogFiles,
    compress: opts.compress,
    maxOpen: opts.maxOpenFiles,
    reporter,
  })
  opts.onReopen?.(() => sink.reopen())
  const follower = new Follower({socketPath: opts.socketPath, sink, reporter, state, cursor, signal: opts.signal})
  try {
    await follower.run()
  } finally {
    sink.close()
    state.close()
    reporter.flush()
  }
  return {sink: sink.stats, follower: follower.stats}
}
