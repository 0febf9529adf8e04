// Names inside the zip and of the report itself. Entry names come partly from
// outside (memlogd source names, file names, user flags), so each path segment
// is made safe: no "..", no absolute paths, no control characters, bounded length.

const MAX_SEGMENT = 200
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\:*?"<>|]/g

/** One safe path segment (never empty, ".", or ".."). */
export function safeSegment(raw: string): string {
  let s = raw.replace(/\//g, '_').replace(UNSAFE, '_')
  if (s === '' || s === '.' || s === '..') s = s.replace(/\./g, '_') || '_'
  if (Buffer.byteLength(s) > MAX_SEGMENT) {
    // Keep the end (the extension, the rotation number) and bound bytes, not characters.
    let cut = s
    while (Buffer.byteLength(cut) > MAX_SEGMENT) cut = cut.slice(1)
    s = cut
  }
  return s
}

/** A relative entry name from '/'-separated parts; every part is sanitized. */
export function safeEntryName(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  return parts.map((p) => safeSegment(p)).join('/') || '_'
}

/** UTC YYYYMMDDHHMMSS. */
export function reportTimestamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

/** Collector and command names given by users: a conservative alphabet. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
