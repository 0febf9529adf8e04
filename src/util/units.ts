// Sizes and durations as people type them on a command line.

/** Longest delay a Node timer can hold (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1

const SIZE_UNITS: Record<string, number> = {'': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

/**
 * "1048576", "64k", "16M", "16MiB", "1G", "2GB" -> bytes (binary units,
 * case-insensitive); undefined when not a size.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim())
  if (!m) return undefined
  if (m[3] && m[3].toLowerCase() === 'ib' && m[2] === '') return undefined // "5ib"
  // Past 2^53 the value is still a size, only an absurd one: callers bound it.
  const n = Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()])
  return Number.isFinite(n) ? n : undefined
}

/** "500ms", "30s", "2m", "1h", or a bare number of seconds -> milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim())
  if (!m) return undefined
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 1000
  const n = Math.round(Number(m[1]) * scale)
  return Number.isFinite(n) ? n : undefined
}
