// Source name -> file name inside --log-dir (PROTOCOL.md §6).
//
// Source names come from any process that can reach memlogd's log socket, so
// they are never used as paths as they are. The mapping is:
//   - bytes outside [A-Za-z0-9._+,=@-] (UTF-8 of the name), and '%' itself,
//     become "%XX" (upper-case hex), so '/', NUL, control characters, spaces
//     and non-ASCII can never reach the file system;
//   - a leading '.' or '-' is escaped as well: no hidden files, no ".", no
//     "..", nothing that looks like a command-line option;
//   - the empty name becomes "%empty" ('%' followed by non-hex never comes out
//     of the escaping, so no source maps there);
//   - a result longer than SAFE_NAME_MAX bytes keeps a prefix (cut on an
//     escape boundary) followed by "%~" and 32 hex digits of the SHA-256 of
//     the source: '~' is never escaped-output either, so a long name can only
//     meet another long name with the same 128-bit hash.
// Escaping is injective, so two different sources never share a file, and
// every name is a single path component well inside NAME_MAX (255) even with
// the longest suffix logwrite adds (".log.<n>.gz").

import {createHash} from 'node:crypto'

/** Longest base name in bytes, leaving room for ".log.<up to 9 digits>.gz" under NAME_MAX. */
export const SAFE_NAME_MAX = 200

const KEEP = /^[A-Za-z0-9._+,=@-]$/
const EMPTY_NAME = '%empty'
const HASH_MARK = '%~'

function escapeByte(b: number): string {
  return '%' + b.toString(16).toUpperCase().padStart(2, '0')
}

/**
 * The file base name for a source, without ".log". Files are
 * `<log-dir>/<safe>.log` (active), `<safe>.log.0` (newest rotated) … `<safe>.log.<N-2>`,
 * each rotated one as `<safe>.log.<k>.gz` instead when logwrite runs with --compress.
 */
export function safeFileName(source: string): string {
  if (source === '') return EMPTY_NAME
  const parts: string[] = []
  const bytes = Buffer.from(source, 'utf8')
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    const ch = String.fromCharCode(b)
    const leadingDotOrDash = i === 0 && (ch === '.' || ch === '-')
    parts.push(b < 0x80 && KEEP.test(ch) && !leadingDotOrDash ? ch : escapeByte(b))
  }
  const full = parts.join('')
  if (full.length <= SAFE_NAME_MAX) return full
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 32)
  const room = SAFE_NAME_MAX - HASH_MARK.length - digest.length
  let prefix = ''
  for (const p of parts) {
    if (prefix.length + p.length > room) break
    prefix += p
  }
  return prefix + HASH_MARK + digest
}

/** The active file's name for a safe base name. */
export function activeFileName(safe: string): string {
  return `${safe}.log`
}

/** Rotated file `index` (0 = newest) for a safe base name. */
export function rotatedFileName(safe: string, index: number, compressed: boolean): string {
  return `${safe}.log.${index}${compressed ? '.gz' : ''}`
}

export interface LogFileName {
  /** The safe base name (what safeFileName returned). */
  safe: string
  /** undefined for the active file; 0 = newest rotated file. */
  index?: number
  compressed: boolean
}

const LOG_FILE = /^(.+)\.log(?:\.(\d{1,9})(\.gz)?)?$/

/**
 * Recognises a logwrite file name (`x.log`, `x.log.3`, `x.log.3.gz`); undefined for
 * anything else (including logwrite's dot-file state). Sorting files of one source
 * by (index ?? -1) gives newest first.
 */
export function parseLogFileName(name: string): LogFileName | undefined {
  const m = LOG_FILE.exec(name)
  if (!m || m[1].startsWith('.')) return undefined
  if (m[2] === undefined) return {safe: m[1], compressed: false}
  return {safe: m[1], index: Number(m[2]), compressed: m[3] !== undefined}
}

/**
 * The source name back from a safe base name; undefined for a shortened (hashed) name,
 * which cannot be reversed.
 */
export function sourceFromSafeName(safe: string): string | undefined {
  if (safe === EMPTY_NAME) return ''
  if (safe.includes(HASH_MARK)) return undefined
  const bytes: number[] = []
  for (let i = 0; i < safe.length; i++) {
    if (safe[i] === '%') {
      const hex = safe.slice(i + 1, i + 3)
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(safe.charCodeAt(i))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
