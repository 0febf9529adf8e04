// logwrite's own messages: to stderr only (never into its files), and at a
// limited rate, because the failures that cause them (a full disk, a
// read-only directory) repeat for every batch until they go away.
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
  /** At most `burst` messages per window of `intervalMs`; each failing key at most once per window. */
  intervalMs?: number
  burst?: number
  now?: () => number
  pid?: number
}

interface Failure {
  describe: string
  lastError: string
  /** Lines dropped since the failure began, and since the last message about it. */
  dropped: number
  droppedUnreported: number
  lastReport: number
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const hints: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    EIO: 'I/O error',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'not a directory',
    EISDIR: 'is a directory',
  }
  if (e && typeof e.code === 'string') return `${e.code} (${hints[e.code] ?? e.message})`
  return e instanceof Error ? e.message : String(err)
}

export class RateLimitedReporter {
  private readonly write: (line: string) => void
  private readonly intervalMs: number
  private readonly burst: number
  private readonly now: () => number
  private readonly prefix: string
  private readonly failures = new Map<string, Failure>()
  private windowStart = -Infinity
  private sentInWindow = 0
  private suppressed = 0

  constructor(opts: ReporterOptions) {
    this.write = opts.write
    this.intervalMs = opts.intervalMs ?? 10_000
    this.burst = opts.burst ?? 5
    this.now = opts.now ?? Date.now
    this.prefix = `logwrite[${opts.pid ?? process.pid}]: `
  }

  /** Prints a message unless the global rate is used up; then it is only counted. */
  message(text: string, force = false): boolean {
    const t = this.now()
    if (t - this.windowStart >= this.intervalMs) {
      this.windowStart = t
      this.sentInWindow = 0
      if (this.suppressed > 0) {
        const n = this.suppressed
        this.suppressed = 0
        this.sentInWindow++
        this.write(`${this.prefix}${n} message${n === 1 ? '' : 's'} suppressed (rate limit)\n`)
      }
    }
    if (!force && this.sentInWindow >= this.burst) {
      this.suppressed++
      return false
    }
    this.sentInWindow++
    this.write(`${this.prefix}${text}\n`)
    return true
  }

  /**
   * A failure of `key` (a file, the state file, the connection): reported at once the
   * first time, then at most once per interval with the lines dropped meanwhile.
   */
  failure(key: string, describe: string, err: unknown, droppedLines = 0): void {
    const t = this.now()
    let f = this.failures.get(key)
    const text = errorText(err)
    if (!f) {
      f = {describe, lastError: text, dropped: 0, droppedUnreported: 0, lastReport: -Infinity}
      this.failures.set(key, f)
    }
    f.describe = describe
    f.dropped += droppedLines
    f.droppedUnreported += droppedLines
    const changed = f.lastError !== text
    f.lastError = text
    if (!changed && t - f.lastReport < this.intervalMs) return
    if (this.message(this.failureText(f))) {
      f.lastReport = t
      f.droppedUnreported = 0
    }
  }

  private failureText(f: Failure): string {
    const lines = f.droppedUnreported > 0 ? `; ${f.droppedUnreported} line${f.droppedUnreported === 1 ? '' : 's'} not written` : ''
    return `${f.describe}: ${f.lastError}${lines}`
  }

  /** `key` works again: says so, with the total of lines dropped while it failed. */
  recovered(key: string): void {
    const f = this.failures.get(key)
    if (!f) return
    this.failures.delete(key)
    const total = f.dropped > 0 ? `; ${f.dropped} line${f.dropped === 1 ? ' was' : 's were'} not written while it failed` : ''
    this.message(`${f.describe}: working again${total}`, true)
  }

  isFailing(key: string): boolean {
    return this.failures.has(key)
  }

  /** At exit: the counts not yet told. */
  flush(): void {
    for (const f of this.failures.values()) {
      if (f.droppedUnreported > 0) {
        this.message(this.failureText(f), true)
        f.droppedUnreported = 0
      }
    }
    if (this.suppressed > 0) {
      const n = this.suppressed
      this.suppressed = 0
      this.write(`${this.prefix}${n} message${n === 1 ? '' : 's'} suppressed (rate limit)\n`)
    }
  }
}
