// RFC 3339 timestamps in UTC with nanoseconds, trailing zeros trimmed (as Go's
// time.RFC3339Nano), built from [seconds, nanoseconds].

let cachedSecond = Number.NaN
let cachedPrefix = ''

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** "2026-12-03T15:20:56" for a Unix second, cached: many lines share a second. */
function secondPrefix(sec: number): string {
  if (sec !== cachedSecond) {
    cachedSecond = sec
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19)
  }
  return cachedPrefix
}

export function formatRfc3339Nano(sec: number, nsec: number): string {
  const prefix = secondPrefix(sec)
  if (nsec === 0) return `${prefix}Z`
  let frac = pad(nsec, 9)
  let end = frac.length
  while (frac.charCodeAt(end - 1) === 48) end--
  frac = frac.slice(0, end)
  return `${prefix}.${frac}Z`
}

/** Formats a Date (millisecond precision) the same way. */
export function formatDate(d: Date): string {
  const ms = d.getTime()
  const sec = Math.floor(ms / 1000)
  return formatRfc3339Nano(sec, (ms - sec * 1000) * 1e6)
}
