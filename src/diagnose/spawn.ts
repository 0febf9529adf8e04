// Running a command for a collector: its own process group (detached) so that
// at the timeout the whole group, grandchildren included, is killed; output
// kept in tail buffers bounded by the per-file cap.

import {spawn} from 'node:child_process'
import {TailBuffer} from './tail.js'

export interface CommandRun {
  stdout: TailBuffer
  stderr: TailBuffer
  exitCode: number | null
  exitSignal: NodeJS.Signals | null
  /** The command could not be started (ENOENT: not installed). */
  startError?: NodeJS.ErrnoException
  /** Killed because the signal was aborted. */
  killed: boolean
  durationMs: number
}

/** How long to wait for the pipes after the process has exited (a grandchild may hold them). */
const PIPE_GRACE_MS = 300

export function runCommand(argv: string[], opts: {maxBytes: number; signal: AbortSignal}): Promise<CommandRun> {
  const started = performance.now()
  const result: CommandRun = {
    stdout: new TailBuffer(opts.maxBytes),
    stderr: new TailBuffer(opts.maxBytes),
    exitCode: null,
    exitSignal: null,
    killed: false,
    durationMs: 0,
  }
  return new Promise((resolve) => {
    if (opts.signal.aborted) {
      result.killed = true
      resolve(result)
      return
    }
    const child = spawn(argv[0], argv.slice(1), {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Stable, parseable output (df, ps); no pager, no colour.
      env: {...process.env, LC_ALL: 'C', LANG: 'C', PAGER: 'cat', SYSTEMD_PAGER: 'cat', TERM: 'dumb'},
    })
    let settled = false
    let graceTimer: NodeJS.Timeout | undefined
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(graceTimer)
      opts.signal.removeEventListener('abort', kill)
      child.stdout?.destroy()
      child.stderr?.destroy()
      result.durationMs = performance.now() - started
      resolve(result)
    }
    const kill = () => {
      result.killed = true
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
    }
    opts.signal.addEventListener('abort', kill, {once: true})
    child.stdout!.on('data', (b: Buffer) => result.stdout.push(b))
    child.stderr!.on('data', (b: Buffer) => result.stderr.push(b))
    child.once('error', (err) => {
      result.startError = err
      finish()
    })
    child.once('exit', (code, sig) => {
      result.exitCode = code
      result.exitSignal = sig
      // Leftover members of the group (background children) die with the collector.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // None left.
        }
      }
      graceTimer = setTimeout(finish, PIPE_GRACE_MS)
    })
    child.once('close', finish)
  })
}

/** A readable rendering of argv for <name>.cmd.txt (POSIX shell quoting). */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}
