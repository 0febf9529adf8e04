// Wires the pieces together: log directory, state file, sink, follower.

import path from 'node:path'
import {StateFile, StateFileError} from './cursor.js'
import {FileSink, type SinkStats} from './file-sink.js'
import {Follower, type FollowerStats} from './follower.js'
import {errorText, RateLimitedReporter} from './reporter.js'
import {parseLogFileName} from './safe-name.js'
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

/** A problem the user must fix before logwrite can start (a path it cannot or must not use). */
export class LogwriteSetupError extends Error {
  override name = 'LogwriteSetupError'
}

/** Checks what can be checked before anything is written; throws LogwriteSetupError with a one-line message. */
function checkPaths(opts: LogwriteOptions): void {
  for (const [flag, value] of [['--log-dir', opts.logDir], ['--socket', opts.socketPath], ['--state-file', opts.stateFile]] as const) {
    // An empty path meant the current directory (or a bogus socket) further down.
    if (value !== undefined && value.trim() === '') throw new LogwriteSetupError(`${flag} must not be empty`)
  }
}

export async function runLogwrite(opts: LogwriteOptions): Promise<LogwriteResult> {
  checkPaths(opts)
  const reporter = new RateLimitedReporter({write: opts.writeMessage})
  const dir = path.resolve(opts.logDir)
  const statePath = opts.stateFile === undefined ? path.join(dir, '.logwrite-cursor') : path.resolve(opts.stateFile)
  const label = opts.stateFile === undefined ? `state file ${statePath} (the default --state-file)` : `--state-file ${statePath}`
  if (path.dirname(statePath) === dir && parseLogFileName(path.basename(statePath)) !== undefined) {
    throw new LogwriteSetupError(`${label} is in --log-dir and named like a log file; choose another name`)
  }
  try {
    makeDirsSync(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new LogwriteSetupError(`--log-dir ${dir} is not a directory`)
    // The cursor lives there: nothing could be kept across restarts.
    if (isInside(statePath, dir)) throw new LogwriteSetupError(`cannot create --log-dir ${dir}: ${errorText(error)}`)
    // Not creatable yet (a disk not mounted): keep going, report, retry at each write.
    reporter.failure(`dir:${dir}`, `cannot create ${dir}`, error)
  }
  // Opened (created) now: a state file that is not logwrite's, or that cannot
  // be saved, stops logwrite here instead of rewriting the whole ring at every restart.
  const state = new StateFile(statePath, label)
  let cursor
  try {
    const opened = state.open()
    cursor = opened.cursor
    if (opened.damaged) reporter.message(`${label} was damaged: starting from the whole ring`)
  } catch (error) {
    if (error instanceof StateFileError) throw new LogwriteSetupError(error.message)
    throw error
  }
  try {
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
    }
    return {sink: sink.stats, follower: follower.stats}
  } finally {
    state.close()
    reporter.flush()
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}
