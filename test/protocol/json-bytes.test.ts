import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {decodeUtf8PerByte, jsonStringBytes} from '../../src/protocol/json-bytes.js'

function asJson(bytes: number[] | string): string {
  const src = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)
  const out = jsonStringBytes(src).toString('utf8')
  return JSON.parse(`"${out}"`) as string
}

describe('JSON string bytes', () => {
  it('round-trips printable ASCII, quotes, backslashes and controls', () => {
    for (const s of ['plain', 'say "hi"', 'back\\slash', 'tab\there', 'nul\u0000x', 'esc\u001b[2J', 'del\u007f', 'line\nbreak']) {
      assert.equal(asJson(s), s)
    }
  })

  it('copies valid multi-byte UTF-8', () => {
    assert.equal(asJson('héllo € 😀 中文'), 'héllo € 😀 中文')
  })

  it('turns each invalid byte into one U+FFFD, as Go does', () => {
    assert.equal(asJson([0xff]), '\ufffd')
    assert.equal(asJson([0xe2, 0x82, 0x41]), '\ufffd\ufffdA') // truncated 3-byte sequence
    assert.equal(asJson([0xc0, 0xaf]), '\ufffd\ufffd') // overlong
    assert.equal(asJson([0xed, 0xa0, 0x80]), '\ufffd\ufffd\ufffd') // surrogate
    assert.equal(asJson([0xf4, 0x90, 0x80, 0x80]), '\ufffd\ufffd\ufffd\ufffd') // above U+10FFFF
    assert.equal(asJson([0x61, 0x80, 0x62]), 'a\ufffdb') // lone continuation
    assert.equal(asJson([0xf0, 0x9f, 0x98]), '\ufffd\ufffd\ufffd') // cut 4-byte sequence at the end
  })

  it('decodeUtf8PerByte agrees with the JSON path', () => {
    for (const bytes of [[0xe2, 0x82, 0x41], [0x68, 0xc3, 0xa9], [0xf0, 0x9f, 0x98, 0x80, 0xff]]) {
      assert.equal(decodeUtf8PerByte(Buffer.from(bytes)), asJson(bytes))
    }
  })
})
