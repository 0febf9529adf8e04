// Renders NDJSON entries (as diagkit's memlogd encodes them) to the logread
// text form without parsing JSON when it can: if a run of entries is plain
// ASCII with no backslash and no DEL, every field is printable as it stands
// and the text is the JSON with its punctuation removed. Anything else takes
// the exact path (JSON.parse and formatLogreadLine).

import {isAscii} from 'node:buffer'
import {parseEntry} from './entry.js'
import {formatLogreadLine} from './text.js'

const QUOTE = 0x22
const SEMI = 0x3b
const SOURCE_SEP = Buffer.from('","source":"')
const MSG_SEP = Buffer.from('","msg":"')
const TIME_OPEN = Buffer.from('{"time":"')

function plain(buf: Buffer): boolean {
  return isAscii(buf) && buf.indexOf(0x5c) === -1 && buf.indexOf(0x7f) === -1
}

/** Text lines ("<time>;<source>;<msg>\n") for a buffer of whole NDJSON lines. */
export function ndjsonToLogreadText(ndjson: Buffer): Buffer {
  // Plain text is never longer than its JSON; escaped text can be (U+2028 is 3
  // bytes in JSON, 8 as "\u{2028}"), so only the plain path writes in place.
  if (plain(ndjson)) {
    const out = Buffer.allocUnsafe(ndjson.length)
    let o = 0
    forEachLine(ndjson, (line) => {
      o = renderPlain(line, out, o)
    })
    return out.subarray(0, o)
  }
  const parts: Buffer[] = []
  forEachLine(ndjson, (line) => {
    if (plain(line)) {
      const out = Buffer.allocUnsafe(line.length)
      parts.push(out.subarray(0, renderPlain(line, out, 0)))
    } else {
      parts.push(renderedLine(line))
    }
  })
  return Buffer.concat(parts)
}

function forEachLine(buf: Buffer, fn: (line: Buffer) => void): void {
  let start = 0
  while (start < buf.length) {
    let end = buf.indexOf(10, start)
    if (end === -1) end = buf.length
    fn(buf.subarray(start, end))
    start = end + 1
  }
}

function renderedLine(line: Buffer): Buffer {
  return Buffer.from(formatLogreadLine(parseEntry(line.toString('utf8'))) + '\n')
}

/** A plain line: fields are delimited by quotes that JSON did not need to escape. */
function renderPlain(line: Buffer, out: Buffer, o: number): number {
  if (line.compare(TIME_OPEN, 0, TIME_OPEN.length, 0, TIME_OPEN.length) !== 0) return renderParsed(line, out, o)
  const timeEnd = line.indexOf(QUOTE, TIME_OPEN.length)
  if (timeEnd === -1 || line.compare(SOURCE_SEP, 0, SOURCE_SEP.length, timeEnd, timeEnd + SOURCE_SEP.length) !== 0) return renderParsed(line, out, o)
  const sourceStart = timeEnd + SOURCE_SEP.length
  const sourceEnd = line.indexOf(QUOTE, sourceStart)
  if (sourceEnd === -1 || line.compare(MSG_SEP, 0, MSG_SEP.length, sourceEnd, sourceEnd + MSG_SEP.length) !== 0) return renderParsed(line, out, o)
  const source = line.subarray(sourceStart, sourceEnd)
  if (source.indexOf(SEMI) !== -1) return renderParsed(line, out, o)
  const msgStart = sourceEnd + MSG_SEP.length
  const msgEnd = line.indexOf(QUOTE, msgStart)
  if (msgEnd === -1) return renderParsed(line, out, o)
  o += line.copy(out, o, TIME_OPEN.length, timeEnd)
  out[o++] = SEMI
  o += source.copy(out, o)
  out[o++] = SEMI
  o += line.copy(out, o, msgStart, msgEnd)
  out[o++] = 10
  return o
}

/** Falls back to the exact path; only reached for lines not shaped like diagkit's own. */
function renderParsed(line: Buffer, out: Buffer, o: number): number {
  const text = renderedLine(line)
  if (o + text.length > out.length) throw new RangeError('rendered text larger than its JSON')
  return o + text.copy(out, o)
}
