import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {decodeKmsgText, KmsgParseError, parseKmsgRecord, parseKmsgRecordFull, parseKmsgRecordIn, formatLinuxkitLine, recordToJson} from '../../src/kmsg/index.js'
import {ROOT} from './helpers.js'

interface Case {
  id: string
  kmsg: string
  expect: Record<string, unknown>
}
const cases: Case[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/field-cases.json'), 'utf8')).filter((c: {id: string}) => c.id.startsWith('K'))

describe('parseKmsgRecord: field cases (K*)', () => {
  it('has all eight K cases', () => assert.deepEqual(cases.map((c) => c.id), ['K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7', 'K8']))
  for (const c of cases) {
    it(`${c.id}: ${JSON.stringify(c.kmsg).slice(0, 60)}`, () => {
      // Both forms a caller may hand over: the raw bytes and a string.
      for (const input of [Buffer.from(c.kmsg, 'latin1'), c.kmsg]) {
        const r = parseKmsgRecord(input)
        const e = c.expect
        if ('facility' in e) assert.equal(r.facility, e.facility)
        if ('level' in e) assert.equal(r.level, e.level)
        if ('seq' in e) assert.equal(r.seq, BigInt(e.seq as string))
        if ('usec' in e) assert.equal(r.usec, BigInt(e.usec as string))
        if ('text' in e) assert.equal(r.text, e.text)
        if ('dict' in e) assert.deepEqual(r.dict, e.dict)
        if ('continuation' in e) assert.equal(r.continuation, e.continuation)
        if ('line_text' in e) assert.equal(formatLinuxkitLine(r, 0n).replace(/^\(\d+\) - [^ ]+: /, ''), e.line_text)
        if ('json_text' in e) assert.equal(recordToJson(r, 0n).text, e.json_text)
        if ('seq' in e) assert.equal(recordToJson(r, 0n).seq, e.seq)
      }
    })
  }
})

describe('parseKmsgRecord: whole records', () => {
  it('K1 in full: dictionary lines stay with the record', () => {
    assert.deepEqual(parseKmsgRecord(cases[0].kmsg), {
      seq: 1234n, facility: 0, level: 6, usec: 5678901n, flags: '-', continuation: false,
      text: 'mlx5_core 0000:31:00.0 ens2f0: Recovered 1 eqes on EQ 0x3b',
      dict: {SUBSYSTEM: 'pci', DEVICE: '+pci:0000:31:00.0'},
    })
  })
  it('no flags field (old kernel) reads as "-"', () => {
    const r = parseKmsgRecord('6,339,5140900;NET: x\n')
    assert.equal(r.flags, '-')
    assert.equal(r.continuation, false)
    assert.equal(r.usec, 5140900n)
  })
  it('caller= field right after usec is not taken for flags', () => {
    const r = parseKmsgRecord('6,5,7,caller=T12;x\n')
    assert.equal(r.flags, '-')
    assert.equal(r.text, 'x')
  })
  it('several extra fields after flags are ignored', () => {
    const r = parseKmsgRecord('3,9,10,-,caller=C2,future=1;disk\n')
    assert.deepEqual([r.level, r.seq, r.flags, r.text], [3, 9n, '-', 'disk'])
  })
  it('"+" flag (following fragment of an old-kernel continuation) is a continuation too', () => {
    assert.equal(parseKmsgRecord('4,401,6000001,+;rest\n').continuation, true)
    assert.equal(parseKmsgRecord('4,401,6000001,+;rest\n').flags, '+')
  })
  it('facility and level across the whole prio range', () => {
    const r = parseKmsgRecord('191,1,1,-;local7 debug\n')
    assert.deepEqual([r.facility, r.level], [23, 7])
    const top = parseKmsgRecord('2047,1,1,-;x\n')
    assert.deepEqual([top.facility, top.level], [255, 7])
  })
  it('u64 max seq and usec keep every digit', () => {
    const r = parseKmsgRecord('0,18446744073709551615,18446744073709551615,-;x\n')
    assert.equal(r.seq, 18446744073709551615n)
    assert.equal(r.usec, 18446744073709551615n)
  })
  it('empty text, and a record without the trailing newline', () => {
    assert.equal(parseKmsgRecord('6,1,2,-;\n').text, '')
    assert.equal(parseKmsgRecord('6,1,2,-;no newline').text, 'no newline')
  })
  it('dictionary value may contain "=" and ";"', () => {
    assert.deepEqual(parseKmsgRecord('6,1,2,-;t\n A=b=c;d\n').dict, {A: 'b=c;d'})
  })
  it('a byte above 0x7f (never sent by a kernel) survives as one character', () => {
    const r = parseKmsgRecord(Buffer.from([0x36, 0x2c, 0x31, 0x2c, 0x32, 0x3b, 0xe9, 0x0a]))
    assert.equal(r.text, '\u00e9')
  })
})

describe('parseKmsgRecord: malformed input throws KmsgParseError', () => {
  const bad: Array<[string, string | Buffer, RegExp]> = [
    ['empty', '', /no ";"/],
    ['no ";"', '6,1,2,-\n', /no ";"/],
    ['two fields', '6,1;x\n', /fewer than 3 fields/],
    ['non-digit prio', 'x,1,2,-;t\n', /priority "x"/],
    ['negative seq', '6,-1,2,-;t\n', /sequence number/],
    ['empty usec', '6,1,,-;t\n', /timestamp/],
    ['float usec', '6,1,2.5,-;t\n', /timestamp/],
    ['seq above 2^64-1', '6,18446744073709551616,2,-;t\n', /out of range/],
    ['prio above 2047', '2048,1,2,-;t\n', /priority "2048" is not a number from 0 to 2047/],
    ['21-digit seq', '6,000000000000000000001,2,-;t\n', /sequence number/],
    ['unknown flags', '6,1,2,x;t\n', /unknown flags/],
    ['line break in header', '6,1\n,2,-;t\n', /line break/],
    ['dictionary line without leading space', '6,1,2,-;t\nKEY=v\n', /bad dictionary line/],
    ['dictionary line without "="', '6,1,2,-;t\n KEYONLY\n', /bad dictionary line/],
    ['dictionary line with empty key', '6,1,2,-;t\n =v\n', /bad dictionary line/],
  ]
  for (const [name, input, msg] of bad) {
    it(name, () => {
      assert.throws(() => parseKmsgRecord(input), (e: unknown) => e instanceof KmsgParseError && msg.test(e.message))
    })
  }
})

describe('parseKmsgRecord: the fast path agrees with the full parser', () => {
  // Each input goes through parseKmsgRecord (fast path first) and the full parser alone:
  // same record, or the same error. Near-misses of the fast path's pattern are the point.
  const inputs = [
    '6,1,2,-;t\n', '6,1,2;t\n', '6,1,2,c;t\n', '6,1,2,+;t\n', '6,1,2,-c+;t\n', '6,1,2,-,caller=T1;t\n', '6,1,2,caller=T1;t\n',
    '6,1,2,c=1;t\n', '6,1,2,caller=T1,-;t\n', '6,1,2,-,x,y,z;t\n', '6,1,2,;t\n', '6,1,2,c-x;t\n', '6,1,2,x;t\n', '6,1,2,-,;t\n',
    '6,1,2,=;t\n', '6,1,2,-;\n', '6,1,2,-;', '6,1,2,-;a;b,c=d\n', '6,1,2,-;t\n\n', '6,1,2,-;t\n K=v\n', '6,1,2,-;t\nK=v\n',
    '0,0,0,-;t\n', '2047,1,2,-;t\n', '2048,1,2,-;t\n', '0006,1,2,-;t\n', '00006,1,2,-;t\n', '191,1,2,-;t\n',
    '6,9999999999999999999,9999999999999999999,-;t\n', '6,18446744073709551615,18446744073709551615,-;t\n',
    '6,18446744073709551616,2,-;t\n', '6,00000000000000000001,2,-;t\n', '6,000000000000000000001,2,-;t\n',
    '6,1,2.5,-;t\n', '6,-1,2,-;t\n', '6,1,,-;t\n', '6,1;t\n', ',1,2,-;t\n', ' 6,1,2,-;t\n', '6,1\n,2,-;t\n', '6,1,2,-\n;t\n',
    '6,1,2,-;t\r\n', '6,1,2,-;caf\u00e9 \\x0a\n', '6,1,2,-', '', '\n',
  ]
  for (const input of inputs) {
    it(JSON.stringify(input), () => {
      const outcome = (f: () => unknown) => {
        try {
          return {record: f()}
        } catch (error) {
          assert.ok(error instanceof KmsgParseError)
          return {error: error.message}
        }
      }
      assert.deepEqual(outcome(() => parseKmsgRecord(input)), outcome(() => parseKmsgRecordFull(input)))
    })
  }

  it('parses a record in place inside a batch of records, as on its own', () => {
    // The second has no newline of its own: the next record's must not be taken for its end.
    const recs = ['6,1,2,-;first\n', '4,2,3,-;second; with, punctuation', '6,3,4,-,caller=T1;dict\n K=v\n', '6,4,5,c;last\n']
    const text = recs.join('')
    let start = 0
    for (const raw of recs) {
      assert.deepEqual(parseKmsgRecordIn(text, start, start + raw.length), parseKmsgRecordFull(raw))
      start += raw.length
    }
  })

  it('a record without its trailing newline inside a batch does not swallow the next one', () => {
    const text = '6,1,2,-;no newline6,2,3,-;next\n'
    assert.equal(parseKmsgRecordIn(text, 0, 18).text, 'no newline')
    assert.equal(parseKmsgRecordIn(text, 18, text.length).seq, 2n)
  })
})

describe('decodeKmsgText', () => {
  it('turns \\xNN back into bytes read as UTF-8', () => {
    assert.equal(decodeKmsgText('a\\x5cb\\x0ac'), 'a\\b\nc')
    assert.equal(decodeKmsgText('caf\\xc3\\xa9'), 'caf\u00e9')
  })
  it('invalid UTF-8 becomes U+FFFD', () => assert.equal(decodeKmsgText('x\\xffy'), 'x\ufffdy'))
  it('leaves incomplete or non-hex escapes as they are', () => {
    assert.equal(decodeKmsgText('\\x4'), '\\x4')
    assert.equal(decodeKmsgText('\\xzz\\y'), '\\xzz\\y')
  })
  it('text without escapes is returned unchanged', () => assert.equal(decodeKmsgText('plain; text, 100%'), 'plain; text, 100%'))
})
