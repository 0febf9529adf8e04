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
 * The common record in one regex exec (sticky, at the record's start): prio,
 * seq and usec of at most 19 digits (always below 2^64); then no 4th field,
 * a valid flags field, or an extra field (with '=') in its place; any further
 * fields; the text; no dictionary lines. Whatever this does not match goes to
 * the full parser, which gives the same record or the precise error.
 */
const COMMON = /(\d{1,4}),(\d{1,19}),(\d{1,19})(?:,([-c+]+)(?=[,;])|(?=,[^,;\n]*=)|(?=;))[^;\n]*;([^\n]*)\n?/y

/**
 * Parses the record that is text[start, end) (one read() of /dev/kmsg, taken
 * as latin1). Cheap for the common record, which is most of a dump.
 */
export function parseKmsgRecordIn(text: string, start: number, end: number): KmsgRecord {
  COMMON.lastIndex = start
  const m = COMMON.exec(text)
  if (m !== null && COMMON.lastIndex === end) {
    const prio = Number(m[1])
    const flags = m[4] ?? '-'
    if (prio <= 2047) {
      return {
        seq: BigInt(m[2]),
        facility: prio >> 3,
        level: prio & 7,
        usec: BigInt(m[3]),
        flags,
        continuation: flags !== '-' && (flags.includes('c') || flags.includes('+')),
        text: m[5],
        dict: {},
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
