// Text renderings of entries (PROTOCOL.md §5). Escaping makes every entry
// exactly one line whatever its bytes: "\" first, then control characters
// (C0, DEL, C1, U+2028, U+2029); in logread's form also ";" in the source.

import type {LogEntry} from './entry.js'

// Matches what needs escaping; the source pattern adds ';'.
const MSG_SPECIAL = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const SOURCE_SPECIAL = /[\\;\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\'
  if (ch === ';') return '\\;'
  const code = ch.charCodeAt(0)
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  return `\\u{${code.toString(16)}}`
}

/** Escapes a message so it cannot break the line or move the cursor. */
export function escapeText(s: string): string {
  return s.replace(MSG_SPECIAL, escapeChar)
}

/** Escapes a source name for the ';'-separated logread form. */
export function escapeSource(s: string): string {
  return s.replace(SOURCE_SPECIAL, escapeChar)
}

/** logread / memlogd console form: "<time>;<source>;<msg>" (no newline). */
export function formatLogreadLine(e: LogEntry): string {
  return `${e.time};${escapeSource(e.source)};${escapeText(e.msg)}`
}

/** logwrite file form: "<time> <source> <msg>" (no newline). */
export function formatFileLine(e: LogEntry): string {
  return `${e.time} ${escapeText(e.source)} ${escapeText(e.msg)}`
}
