// One /dev/kmsg record (PROTOCOL.md §7):
//   <prio>,<seq>,<usec>[,<flags>[,<more>...]];<text>\n( KEY=VALUE\n)*
// The header is split on ',' only up to the first ';' — the text may hold both.

export interface KmsgRecord {
  /** 64-bit kernel sequence number. */
  seq: bigint
  /** prio >> 3 */
  facility: number
  /** prio & 7 */
  level: number
  /** Microseconds since boot (kernel clock). */
  usec: bigint
  /** '-' (none), 'c' / '+' (continuation fragment, old kernels); '-' when the kernel sends no flags field. */
  flags: string
  continuation: boolean
  /** Message text exactly as the kernel sent it: non-printable bytes and '\' stay as \xNN escapes. */
  text: string
  /** Dictionary lines (" KEY=VALUE"), values escaped like the text. */
  dict: Record<string, string>
  /** diagkit's own record saying records were overwritten before they could be read (never from the kernel). */
  lost?: {first?: bigint; last: bigint}
}

const U64_MAX = (1n << 64n) - 1n

export class KmsgParseError extends Error {
  constructor(message: string, readonly raw: string) {
    super(message)
    this.name = 'KmsgParseError'
  }
}

/** True when s is 1-20 ASCII digits (a char loop: this runs for every record of a dump). */
function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function unsigned(field: string, name: string, raw: string, max: bigint): bigint {
  if (!isDigits(field)) throw new KmsgParseError(`kmsg record: ${name} ${JSON.stringify(field)} is not an unsigned integer`, raw)
  const v = BigInt(field)
  if (v > max) throw new KmsgParseError(`kmsg record: ${name} ${field} is out of range`, raw)
  return v
}

/**
 * The header of the common record, tested at the record's start (sticky):
 * prio, seq and usec of at most 19 digits (always below 2^64); then no 4th
 * field, a valid flags field, or an extra field (with '=') in its place; any
 * further fields; the ';'. test() rather than exec(): on a cold start (every
 * `kmsg --dump`) building a match array per record costs more than finding
 * the fields again with indexOf. Shared with plain-dump.ts; set lastIndex
 * before each use.
 */
export const COMMON_HEADER = /\d{1,4},\d{1,19},\d{1,19}(?:,[-c+]+(?=[,;])|(?=,[^,;\n]*=)|(?=;))[^;\n]*;/y

/** Records with no dictionary share this (frozen: a record is never edited). */
const NO_DICT: Record<string, string> = Object.freeze({}) as Record<string, string>

/**
 * Parses the record that is text[start, end) (one read() of /dev/kmsg, taken
 * as latin1). Cheap for the common record (no dictionary), which is most of a
 * dump; anything else goes to the full parser, which gives the same record or
 * the precise error.
 */
export function parseKmsgRecordIn(text: string, start: number, end: number): KmsgRecord {
  COMMON_HEADER.lastIndex = start
  if (COMMON_HEADER.test(text) && COMMON_HEADER.lastIndex <= end) {
    const semi = COMMON_HEADER.lastIndex - 1
    let textEnd = text.indexOf('\n', semi + 1)
    if (textEnd < 0 || textEnd >= end) textEnd = end
    const c1 = text.indexOf(',', start)
    const prio = Number(text.slice(start, c1))
    // Dictionary lines after the text, or a priority out of range: the full parser.
    if ((textEnd >= end - 1) && prio <= 2047) {
      const c2 = text.indexOf(',', c1 + 1)
      let c3 = text.indexOf(',', c2 + 1)
      if (c3 < 0 || c3 > semi) c3 = semi
      let flags = '-'
      if (c3 < semi) { // a 4th field: flags, unless it is an extra field such as caller=T1
        let c4 = text.indexOf(',', c3 + 1)
        if (c4 < 0 || c4 > semi) c4 = semi
        const field = text.slice(c3 + 1, c4)
        if (!field.includes('=')) flags = field
      }
      return {
        seq: BigInt(text.slice(c1 + 1, c2)),
        facility: prio >> 3,
        level: prio & 7,
        usec: BigInt(text.slice(c2 + 1, c3)),
        flags,
        continuation: flags !== '-' && (flags.includes('c') || flags.includes('+')),
        text: text.slice(semi + 1, textEnd),
        dict: NO_DICT,
      }
    }
  }
  return parseKmsgRecordFull(start === 0 && end === text.length ? text : text.slice(start, end))
}

/**
 * Parses the bytes of one read() of /dev/kmsg. Bytes are taken as latin1 so a
 * stray non-ASCII byte survives as one character; the kernel itself only
 * sends printable ASCII (everything else arrives as \xNN). Throws
 * KmsgParseError on anything that is not a record.
 */
export function parseKmsgRecord(input: Buffer | string): KmsgRecord {
  const raw = typeof input === 'string' ? input : input.toString('latin1')
  return parseKmsgRecordIn(raw, 0, raw.length)
}

/** The full parser: every variant, and the precise error. Exported so tests can hold the fast path to it. */
export function parseKmsgRecordFull(raw: string): KmsgRecord {
  const semi = raw.indexOf(';')
  if (semi < 0) throw new KmsgParseError('kmsg record: no ";" between header and text', raw)
  const header = raw.slice(0, semi)
  if (header.includes('\n')) throw new KmsgParseError('kmsg record: line break inside the header', raw)
  const fields = header.split(',')
  if (fields.length < 3) throw new KmsgParseError(`kmsg record: header ${JSON.stringify(header)} has fewer than 3 fields`, raw)

  const p = fields[0]
  if (!isDigits(p) || p.length > 4 || Number(p) > 2047) {
    throw new KmsgParseError(`kmsg record: priority ${JSON.stringify(p)} is not a number from 0 to 2047`, raw)
  }
  const prio = Number(p)
  const seq = unsigned(fields[1], 'sequence number', raw, U64_MAX)
  const usec = unsigned(fields[2], 'timestamp', raw, U64_MAX)
  // Field 4 is the flags on kernels >= 3.5; anything with '=' is an extra field (caller=T1, ...).
  let flags = '-'
  if (fields.length > 3 && !fields[3].includes('=')) {
    flags = fields[3]
    if (flags !== '-' && !/^[-c+]+$/.test(flags)) throw new KmsgParseError(`kmsg record: unknown flags ${JSON.stringify(flags)}`, raw)
  }

  let nl = raw.indexOf('\n', semi + 1)
  if (nl < 0) nl = raw.length
  const text = raw.slice(semi + 1, nl)

  const dict: Record<string, string> = {}
  let pos = nl + 1
  while (pos < raw.length) { // dictionary lines (rare: most records have none)
    let end = raw.indexOf('\n', pos)
    if (end < 0) end = raw.length
    const line = raw.slice(pos, end)
    pos = end + 1
    if (line.length === 0) continue
    const eq = line.indexOf('=')
    if (line.charCodeAt(0) !== 32 || eq < 2) {
      throw new KmsgParseError(`kmsg record: bad dictionary line ${JSON.stringify(line)}`, raw)
    }
    dict[line.slice(1, eq)] = line.slice(eq + 1)
  }

  return {
    seq,
    facility: prio >> 3,
    level: prio & 7,
    usec,
    flags,
    continuation: flags.includes('c') || flags.includes('+'),
    text,
    dict,
  }
}

/**
 * Undoes the kernel's \xNN escaping: the bytes are put back and read as
 * UTF-8 (invalid sequences become U+FFFD). For JSON, never for line output.
 */
export function decodeKmsgText(s: string): string {
  if (!s.includes('\\x') && !/[\u0080-\u00ff]/.test(s)) return s
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 92 && s.charCodeAt(i + 1) === 120 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(s.slice(i + 2, i + 4), 16))
      i += 3
    } else if (c <= 0xff) {
      bytes.push(c) // a byte that came in unescaped (latin1 view of the buffer)
    } else {
      for (const b of Buffer.from(s[i], 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
