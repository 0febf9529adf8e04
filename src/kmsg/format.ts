// Renderings of a record: LinuxKit's service line, a dmesg-like line, JSON.
// Line forms keep the kernel's \xNN escapes (decoding \x0a would forge a line)
// and escape any raw byte that is not printable ASCII, so each record is one
// line whatever a device sends.
import {decodeKmsgText, type KmsgRecord} from './record.js'
import {formatRecordTime, recordTimeNs} from './time.js'

const UNSAFE = /[\u0000-\u001f\u007f-\uffff]/g
/** The same class without /g: test() needs no lastIndex reset (this runs per line of a dump). */
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\uffff]/

function escapeUnsafe(ch: string): string {
  const code = ch.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/** Text for line output: kernel escapes kept, raw control/non-ASCII bytes escaped the same way. */
export function lineText(text: string): string {
  return HAS_UNSAFE.test(text) ? text.replace(UNSAFE, escapeUnsafe) : text
}

/** LinuxKit's kmsg form: "(<seq>) - <RFC 3339 nano>: <text>" (no newline). */
export function formatLinuxkitLine(r: KmsgRecord, bootTimeNs: bigint): string {
  return `(${r.seq}) - ${formatRecordTime(r.usec, bootTimeNs)}: ${lineText(r.text)}`
}

export interface HumanColors {
  time(s: string): string
  /** Colours the text by level (0 emerg … 7 debug). */
  level(level: number, s: string): string
}

export interface HumanOptions {
  /** Show local wall-clock time like `dmesg -T` (needs bootTimeNs). */
  ctime?: boolean
  bootTimeNs?: bigint
  colors?: HumanColors
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n: number) => String(n).padStart(2, '0')

/** ctime(3)-style local time, as dmesg -T prints it: "Wed Dec  3 14:13:05 2025". */
export function formatCtime(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
}

/** dmesg-like: "[    5.140900] text", or "[Wed Dec  3 14:13:05 2025] text" with ctime. */
export function formatHumanLine(r: KmsgRecord, opts: HumanOptions = {}): string {
  let stamp: string
  if (opts.ctime) {
    if (opts.bootTimeNs === undefined) throw new TypeError('formatHumanLine: ctime needs bootTimeNs')
    stamp = formatCtime(new Date(Number(recordTimeNs(r.usec, opts.bootTimeNs) / 1_000_000n)))
  } else {
    stamp = `${String(r.usec / 1_000_000n).padStart(5, ' ')}.${String(r.usec % 1_000_000n).padStart(6, '0')}`
  }
  const text = lineText(r.text)
  if (opts.colors) return `${opts.colors.time(`[${stamp}]`)} ${opts.colors.level(r.level, text)}`
  return `[${stamp}] ${text}`
}

export interface KmsgJson {
  /** A decimal string: seq is 64-bit and JSON numbers lose precision above 2^53. */
  seq: string
  time: string
  /** Microseconds since boot as the kernel gave them (a number: 2^53 µs is 285 years of uptime). */
  usec: number
  facility: number
  level: number
  flags: string
  /** The kernel's \xNN escapes decoded (JSON escaping keeps it one line). */
  text: string
  dict: Record<string, string>
  /** Only on diagkit's "records lost" record: the lost seq range as decimal strings. */
  lost?: {first?: string; last: string}
}

export function recordToJson(r: KmsgRecord, bootTimeNs: bigint): KmsgJson {
  const dict: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.dict)) dict[decodeKmsgText(k)] = decodeKmsgText(v)
  const out: KmsgJson = {
    seq: r.seq.toString(),
    time: formatRecordTime(r.usec, bootTimeNs),
    usec: Number(r.usec),
    facility: r.facility,
    level: r.level,
    flags: r.flags,
    text: decodeKmsgText(r.text),
    dict,
  }
  if (r.lost) {
    out.lost = r.lost.first === undefined ? {last: r.lost.last.toString()} : {first: r.lost.first.toString(), last: r.lost.last.toString()}
  }
  return out
}
