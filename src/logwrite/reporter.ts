// logwrite's own messages: to stderr only (never into its files), and at a
// limited rate, because the failures that cause them (a full disk, a
// read-only directory, a --log-dir where nothing can be created) repeat for
// every batch and every source until they go away.
//
// Two limits apply:
//   - per key (a file, the state file, the connection): one line per
//     interval; lines not written meanwhile are counted and told in that
//     key's next line;
//   - overall: at most `burst` lines per interval (fixed windows). What is
//     held back is summed up in one line when the window ends,
//     "N more write errors in the last 10 s (M files)"; the held keys keep
//     their counts of lines not written for their next line.
// A key that works again is told ("writing X again; N lines could not be
// written meanwhile") only when its failure was told, and not before its
// per-key interval has passed: a file that fails and recovers at every
// rotation on a nearly-full disk gives at most one line per interval, not two
// per rotation. If it fails again before that, the failure simply goes on.
//
// Every message starts with `logwrite[<pid>]: `. When logwrite itself runs
// under memlogd (its stderr captured as a source, as LinuxKit does), the
// follower recognises that prefix and does not write those entries back to
// the files, so a failing disk cannot feed a loop of messages about itself.

export const SELF_PREFIX_RE = /^logwrite\[\d+\]: /

/** True for a message logwrite printed (this or an earlier logwrite process). */
export function isSelfMessage(msg: string): boolean {
  return msg.startsWith('logwrite[') && SELF_PREFIX_RE.test(msg)
}

export interface ReporterOptions {
  /** Receives one complete line (with "\n"). */
  write(line: string): void
  /** Length of a rate window and of the per-key interval (default 10 s). */
  intervalMs?: number
  /** Lines printed at most per window, all keys together (default 10). */
  burst?: number
  now?: () => number
  pid?: number
  /**
   * Use a (non-blocking, unref'd) timer so a held-back summary or a recovery
   * is printed when it is due even if nothing else happens; default true.
   * Tests that drive `now` turn it off and call tick().
   */
  timers?: boolean
}

export interface FailureDetails {
  /** Lines that were not written because of this failure (added to the key's counts). */
  dropped?: number
  /** What to say when the key works again, e.g. "writing /var/log/x.log again". */
  again?: string
  /** The key is a log file (counted as a file in summaries). */
  file?: boolean
}

interface KeyState {
  describe: string
  lastError: string
  again: string
  file: boolean
  failing: boolean
  /** A failure line of this episode was printed. */
  told: boolean
  /** Lines not written since the episode began, and since the last line about the key. */
  droppedEpisode: number
  droppedUntold: number
  /** When the last line about this key was printed. */
  lastLine: number
  /** Works again; the "again" line is waiting for its turn. */
  recoveryDue: boolean
}

const HINTS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'I/O error',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EFBIG: 'file too large',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
}

export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  // A `reason` (QueryError) is the message without the context the caller gives itself.
  if (e && typeof e.code === 'string') return `${e.code} (${HINTS[e.code] ?? (e as {reason?: string}).reason ?? e.message})`
  return e instanceof Error ? e.message : String(err)
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

export class RateLimitedReporter {
  private readonly write: (line: string) => void
  private readonly intervalMs: number
  private readonly burst: number
  private readonly now: () => number
  private readonly prefix: string
  private readonly useTimers: boolean
  private readonly keys = new Map<string, KeyState>()
  private readonly recoveries = new Set<string>()
  private windowStart = -Infinity
  private sentInWindow = 0
  /** Held back in the current window: failure lines of files (and which files), of other keys, plain messages. */
  private heldFileErrors = 0
  private readonly heldFiles = new Set<string>()
  private heldErrors = 0
  private heldOther = 0
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(opts: ReporterOptions) {
    this.write = opts.write
    this.intervalMs = opts.intervalMs ?? 10_000
    this.burst = opts.burst ?? 10
    this.now = opts.now ?? Date.now
    this.prefix = `logwrite[${opts.pid ?? process.pid}]: `
    this.useTimers = opts.timers ?? true
  }

  /** A one-off message (a reconnect, a restarted daemon), subject to the overall limit. */
  message(text: string): boolean {
    this.tick()
    return this.emit(text)
  }

  /**
   * A failure of `key`: told at once the first time (when the overall limit
   * allows), then at most once per interval with the lines not written meanwhile.
   */
  failure(key: string, describe: string, err: unknown, details: FailureDetails = {}): void {
    this.tick()
    const t = this.now()
    let k = this.keys.get(key)
    if (!k) {
      k = {
        describe, lastError: '', again: '', file: false, failing: false, told: false,
        droppedEpisode: 0, droppedUntold: 0, lastLine: -Infinity, recoveryDue: false,
      }
      this.keys.set(key, k)
    }
    if (!k.failing && !k.recoveryDue) {
      // A new episode (a due recovery not yet told means the old one goes on).
      k.told = false
      k.droppedEpisode = 0
    }
    k.failing = true
    k.recoveryDue = false
    this.recoveries.delete(key)
    k.describe = describe
    k.lastError = errorText(err)
    k.again = details.again ?? `${describe}: works again`
    k.file = details.file ?? false
    const dropped = details.dropped ?? 0
    k.droppedEpisode += dropped
    k.droppedUntold += dropped
    if (t - k.lastLine < this.intervalMs) return
    if (this.emit(this.failureText(k), key)) {
      k.lastLine = t
      k.told = true
      k.droppedUntold = 0
    }
  }

  /** `key` works again: told (in its turn) only when its failure was. */
  recovered(key: string): void {
    const k = this.keys.get(key)
    if (!k || !k.failing) return
    k.failing = false
    if (!k.told) {
      // Never told (held back by the overall limit): its lines not written are
      // still told, in the next window's summary count or at exit.
      if (k.droppedUntold === 0) this.keys.delete(key)
      return
    }
    k.recoveryDue = true
    this.recoveries.add(key)
    this.tick()
  }

  isFailing(key: string): boolean {
    return this.keys.get(key)?.failing ?? false
  }

  /** Prints what has become due: the summary of a finished window, recoveries whose turn came. */
  tick(): void {
    const t = this.now()
    if (t - this.windowStart >= this.intervalMs) {
      const summary = this.summaryText()
      this.windowStart = t
      this.sentInWindow = 0
      if (summary !== undefined) {
        this.sentInWindow++
        this.write(`${this.prefix}${summary}\n`)
      }
    }
    let next = Infinity
    for (const key of this.recoveries) {
      const k = this.keys.get(key)!
      const due = k.lastLine + this.intervalMs
      if (t < due) {
        next = Math.min(next, due)
        continue
      }
      if (!this.emit(this.againText(k), key)) {
        next = Math.min(next, this.windowStart + this.intervalMs)
        continue
      }
      this.recoveries.delete(key)
      this.keys.delete(key)
    }
    if (this.anyHeld()) next = Math.min(next, this.windowStart + this.intervalMs)
    this.schedule(next, t)
  }

  /** At exit: the summary and the recoveries not yet told, and the counts of lines not written, in a few lines. */
  flush(): void {
    this.cancelTimer()
    const lines: string[] = []
    const summary = this.summaryText()
    if (summary !== undefined) lines.push(summary)
    const rest: KeyState[] = []
    for (const [key, k] of this.keys) {
      if (k.recoveryDue) rest.push(k)
      else if (k.droppedUntold > 0) rest.push(k)
      this.recoveries.delete(key)
    }
    const shown = rest.slice(0, this.burst)
    for (const k of shown) lines.push(k.recoveryDue ? this.againText(k) : this.failureText(k))
    const more = rest.slice(shown.length)
    if (more.length > 0) {
      const n = more.reduce((s, k) => s + (k.recoveryDue ? k.droppedEpisode : k.droppedUntold), 0)
      lines.push(`and ${plural(more.length, 'more file')} with ${plural(n, 'line')} not written`)
    }
    for (const k of rest) {
      k.droppedUntold = 0
      k.recoveryDue = false
    }
    for (const l of lines) this.write(`${this.prefix}${l}\n`)
  }

  private emit(text: string, key?: string): boolean {
    if (this.now() - this.windowStart >= this.intervalMs) this.tick()
    if (this.sentInWindow < this.burst) {
      this.sentInWindow++
      this.write(`${this.prefix}${text}\n`)
      return true
    }
    if (key === undefined) {
      this.heldOther++
    } else if (this.keys.get(key)?.file) {
      this.heldFileErrors++
      this.heldFiles.add(key)
    } else {
      this.heldErrors++
    }
    this.schedule(this.windowStart + this.intervalMs, this.now())
    return false
  }

  /** The held-back summary of the window, clearing it; undefined when nothing was held. */
  private summaryText(): string | undefined {
    if (!this.anyHeld()) return undefined
    const secs = this.intervalMs % 1000 === 0 ? `${this.intervalMs / 1000} s` : `${this.intervalMs} ms`
    const parts: string[] = []
    if (this.heldFileErrors > 0) parts.push(`${plural(this.heldFileErrors, 'more write error')} in the last ${secs} (${plural(this.heldFiles.size, 'file')})`)
    if (this.heldErrors > 0) parts.push(plural(this.heldErrors, 'more error'))
    if (this.heldOther > 0) parts.push(plural(this.heldOther, 'more message'))
    const text = this.heldFileErrors > 0 ? parts.join('; ') : `${parts.join('; ')} held back in the last ${secs}`
    this.heldFileErrors = 0
    this.heldFiles.clear()
    this.heldErrors = 0
    this.heldOther = 0
    return text
  }

  private anyHeld(): boolean {
    return this.heldFileErrors + this.heldErrors + this.heldOther > 0
  }

  private failureText(k: KeyState): string {
    const lines = k.droppedUntold > 0 ? `; ${plural(k.droppedUntold, 'line')} not written` : ''
    return `${k.describe}: ${k.lastError}${lines}`
  }

  private againText(k: KeyState): string {
    const n = k.droppedEpisode
    return n > 0 ? `${k.again}; ${n} line${n === 1 ? '' : 's'} could not be written meanwhile` : k.again
  }

  private schedule(at: number, t: number): void {
    if (!this.useTimers || at === Infinity || at >= this.timerAt) return
    this.cancelTimer()
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.tick()
    }, Math.max(0, at - t))
    this.timer.unref()
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }
}
