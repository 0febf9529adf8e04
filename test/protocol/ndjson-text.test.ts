import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {encodeEntry, type LogEntry} from '../../src/protocol/entry.js'
import {ndjsonToLogreadText} from '../../src/protocol/ndjson-text.js'
import {formatLogreadLine} from '../../src/protocol/text.js'

function expected(entries: LogEntry[]): string {
  return entries.map((e) => formatLogreadLine(e) + '\n').join('')
}

function render(entries: LogEntry[]): string {
  return ndjsonToLogreadText(Buffer.from(entries.map(encodeEntry).join(''))).toString('utf8')
}

describe('ndjsonToLogreadText', () => {
  it('matches formatLogreadLine on plain entries (fast path)', () => {
    const entries = [1, 2, 3].map((i) => ({time: `2026-12-03T00:00:0${i}Z`, source: `svc${i}.out`, msg: `line ${i} with: punctuation, {braces} 'quotes'`, seq: i}))
    assert.equal(render(entries), expected(entries))
  })

  it('matches formatLogreadLine on entries that need escaping, and may grow', () => {
    const odd = ['a;b', 'back\\slash', 'nul\u0000', 'esc\u001b[2J', 'del\u007f', 'c1\u0085', 'ls\u2028ps\u2029', 'quote"d', 'é€😀', '\ufffd']
    const entries = odd.flatMap((s, i) => [
      {time: 'T', source: s, msg: 'm', seq: i},
      {time: 'T', source: 'x', msg: s, seq: i},
    ])
    assert.equal(render(entries), expected(entries))
    const grow = [{time: 'T', source: 's', msg: '\u2028'.repeat(100)}]
    assert.equal(render(grow), expected(grow))
  })

  it('renders entries without seq and with extra fields (a LinuxKit or future peer)', () => {
    const ndjson = Buffer.from('{"time":"T","source":"s","msg":"m"}\n{"msg":"x","source":"y","time":"U","extra":1}\n')
    assert.equal(ndjsonToLogreadText(ndjson).toString(), 'T;s;m\nU;y;x\n')
  })

  it('random entries agree with the exact path', () => {
    let seed = 7
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const alphabet = ['a', 'Z', ' ', ';', '\\', '"', '\n', '\u0001', '\u007f', '\u0090', 'é', '€', '\u2028', '😀', ':', ',', '{', '}']
    const str = () => Array.from({length: rnd(12)}, () => alphabet[rnd(alphabet.length)]).join('')
    const entries = Array.from({length: 500}, (_, i) => ({time: '2026-12-03T00:00:00.5Z', source: str(), msg: str(), seq: i}))
    assert.equal(render(entries), expected(entries))
  })
})
