// Writes raw bytes as the content of a JSON string, byte for byte what a Go
// encoder would accept and produce for the same input: valid UTF-8 is copied,
// each invalid byte becomes U+FFFD, '"' '\\' and C0 controls are escaped.
// Works on bytes so the daemon never decodes to a JS string on its hot path.

const HEX = '0123456789abcdef'

/** Worst case output size: every input byte becomes "\u00XX". */
export function maxJsonStringBytes(len: number): number {
  return len * 6
}

/** Length of the valid UTF-8 sequence starting at i (1-4), or 0 if src[i] starts an invalid one. */
export function utf8SequenceLength(src: Uint8Array, i: number, end: number): number {
  const b0 = src[i]
  if (b0 < 0x80) return 1
  if (b0 < 0xc2) return 0
  if (b0 < 0xe0) {
    return i + 1 < end && (src[i + 1] & 0xc0) === 0x80 ? 2 : 0
  }
  if (b0 < 0xf0) {
    if (i + 2 >= end) return 0
    const b1 = src[i + 1]
    const lo = b0 === 0xe0 ? 0xa0 : 0x80
    const hi = b0 === 0xed ? 0x9f : 0xbf
    if (b1 < lo || b1 > hi || (src[i + 2] & 0xc0) !== 0x80) return 0
    return 3
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return 0
    const b1 = src[i + 1]
    const lo = b0 === 0xf0 ? 0x90 : 0x80
    const hi = b0 === 0xf4 ? 0x8f : 0xbf
    if (b1 < lo || b1 > hi || (src[i + 2] & 0xc0) !== 0x80 || (src[i + 3] & 0xc0) !== 0x80) return 0
    return 4
  }
  return 0
}

/**
 * Appends src[start, end) to out at o as JSON string content (no quotes).
 * out must have maxJsonStringBytes(end - start) bytes free. Returns the new offset.
 */
export function writeJsonStringBytes(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  let i = start
  while (i < end) {
    // Copy the longest run that needs no escaping in one go.
    let j = i
    while (j < end) {
      const c = src[j]
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) break
      j++
    }
    if (j > i) {
      if (j - i > 16) {
        out.set(src.subarray(i, j), o)
        o += j - i
      } else {
        for (let k = i; k < j; k++) out[o++] = src[k]
      }
      i = j
      if (i >= end) break
    }
    const c = src[i]
    if (c >= 0x80) {
      const n = utf8SequenceLength(src, i, end)
      if (n === 0) {
        out[o++] = 0xef
        out[o++] = 0xbf
        out[o++] = 0xbd
        i++
      } else {
        for (let k = 0; k < n; k++) out[o++] = src[i + k]
        i += n
      }
      continue
    }
    out[o++] = 0x5c
    switch (c) {
      case 0x22: out[o++] = 0x22; break
      case 0x5c: out[o++] = 0x5c; break
      case 0x0a: out[o++] = 0x6e; break
      case 0x0d: out[o++] = 0x72; break
      case 0x09: out[o++] = 0x74; break
      default:
        out[o++] = 0x75
        out[o++] = 0x30
        out[o++] = 0x30
        out[o++] = HEX.charCodeAt(c >> 4)
        out[o++] = HEX.charCodeAt(c & 15)
    }
    i++
  }
  return o
}

/** JSON string content (no quotes) for bytes, as a Buffer. */
export function jsonStringBytes(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(maxJsonStringBytes(src.length))
  const n = writeJsonStringBytes(src, 0, src.length, out, 0)
  return out.subarray(0, n)
}

/** Decodes bytes as UTF-8 with one U+FFFD per invalid byte (Go's rule, not WHATWG's). */
export function decodeUtf8PerByte(src: Uint8Array): string {
  let ascii = true
  for (let i = 0; i < src.length; i++) if (src[i] >= 0x80) { ascii = false; break }
  if (ascii) return Buffer.from(src.buffer, src.byteOffset, src.length).toString('latin1')
  const parts: string[] = []
  let runStart = 0
  let i = 0
  while (i < src.length) {
    if (src[i] < 0x80) { i++; continue }
    const n = utf8SequenceLength(src, i, src.length)
    if (n > 0) { i += n; continue }
    parts.push(Buffer.from(src.buffer, src.byteOffset + runStart, i - runStart).toString('utf8'), '\uFFFD')
    i++
    runStart = i
  }
  parts.push(Buffer.from(src.buffer, src.byteOffset + runStart, src.length - runStart).toString('utf8'))
  return parts.join('')
}
