// RFC 3339 timestamps in UTC with nanoseconds, trailing zeros trimmed (as Go's
// time.RFC3339Nano), built from [seconds, nanoseconds].

let cachedSecond = Number.NaN
let cachedPrefix = ''

/**
 * "2026-12-03T15:20:56.123456789Z". The "2026-12-03T15:20:56" part is cached
 * (many lines share a second) and the fraction padded inline: this runs once
 * per line of every dump, mostly before the JIT has warmed up.
 */
export function formatRfc3339Nano(sec: number, nsec: number): string {
  if (sec !== cachedSecond) {
    cachedSecond = sec
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19)
  }
  if (nsec === 0) return `${cachedPrefix}Z`
  const frac = String(nsec).padStart(9, '0')
  let end = 9
  while (frac.charCodeAt(end - 1) === 48) end--
  return `${cachedPrefix}.${end === 9 ? frac : frac.slice(0, end)}Z`
}

/** Formats a Date (millisecond precision) the same way. */
export function formatDate(d: Date): string {
  const ms = d.getTime()
  const sec = Math.floor(ms / 1000)
  return formatRfc3339Nano(sec, (ms - sec * 1000) * 1e6)
}
