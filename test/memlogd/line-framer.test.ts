import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {LineFramer, utf8Cut} from '../../src/memlogd/line-framer.js'
import {bytesOf, loadCases} from '../helpers/cases.js'

function frame(chunks: Buffer[], maxLineLen = 1024): string[] {
  const lines: string[] = []
  const f = new LineFramer(maxLineLen, (buf, s, e) => lines.push(Buffer.from(buf.subarray(s, e)).toString('utf8')))
  for (const c of chunks) f.push(c)
  f.end()
  return lines
}

describe('LineFramer', () => {
  for (const c of loadCases('F')) {
    it(`field case ${c.id}: ${c.why as string}`, () => {
      const chunks = (c.writes as string[]).map(bytesOf)
      assert.deepEqual(frame(chunks, (c.max_line_len as number | undefined) ?? 1024), c.expect_msgs)
    })
  }

  it('treats CR LF split across many reads as one line end, byte by byte', () => {
    const bytes = bytesOf('one\r\ntwo\r\n\r\nthree')
    const chunks = [...bytes].map((b) => Buffer.from([b]))
    assert.deepEqual(frame(chunks), ['one', 'two', '', 'three'])
  })

  it('keeps a CR that is not right before LF, also at the truncation point', () => {
    assert.deepEqual(frame([bytesOf('a\rb\r\rc\n')]), ['a\rb\r\rc'])
    // 4-byte limit: "abcd" kept, the "\r" after it is cut off with the rest.
    assert.deepEqual(frame([bytesOf('abcd\rxyz\n')], 4), ['abcd'])
    // Exactly the limit followed by CRLF: the CR is the line end, not content.
    assert.deepEqual(frame([bytesOf('abcd\r'), bytesOf('\nnext\n')], 4), ['abcd', 'next'])
  })

  it('emits nothing for an empty stream and an entry for a lone newline', () => {
    assert.deepEqual(frame([]), [])
    assert.deepEqual(frame([bytesOf('\n')]), [''])
  })

  it('bounds memory for a 10 MiB line: first bytes kept, rest to the newline dropped', () => {
    const lines: number[] = []
    const f = new LineFramer(1024, (_b, s, e) => lines.push(e - s))
    const big = Buffer.alloc(64 * 1024, 0x61)
    for (let i = 0; i < 160; i++) f.push(big)
    f.push(bytesOf('tail\nok\n'))
    f.end()
    assert.deepEqual(lines, [1024, 2])
  })

  it('cuts over-long lines on a UTF-8 boundary for 2, 3 and 4 byte characters', () => {
    for (const ch of ['é', '€', '😀']) {
      const n = Buffer.byteLength(ch)
      for (let pad = 0; pad < n; pad++) {
        const line = 'a'.repeat(10 - pad) + ch.repeat(3)
        const [out] = frame([bytesOf(line + '\n')], 10)
        assert.ok(Buffer.byteLength(out) <= 10, `${ch} pad ${pad}`)
        assert.ok(!out.includes('\ufffd'), `no broken character for ${ch} pad ${pad}`)
        assert.ok(line.startsWith(out))
      }
    }
  })

  it('utf8Cut never steps back more than 3 bytes on invalid input', () => {
    const buf = Buffer.alloc(10, 0x80)
    assert.equal(utf8Cut(buf, 0, 8), 5)
  })
})
