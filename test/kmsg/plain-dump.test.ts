// renderLinuxkitDump must give exactly what the record path gives (KmsgReader
// + formatLinuxkitLine): the same lines, last seq, bad-record reports and
// errors, on every kind of input, while taking the common record itself.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {formatLinuxkitLine, KmsgReader, renderLinuxkitDump} from '../../src/kmsg/index.js'
import {err, FakeBatchDevice, rec, type Step} from './helpers.js'

const BOOT = 1_764_000_000_123_456_789n

interface Outcome {
  lines: string[]
  last?: string
  bad: string[]
  error?: string
}

function viaRecordPath(steps: Step[], perBatch: number): Outcome {
  const out: Outcome = {lines: [], bad: []}
  const reader = new KmsgReader(new FakeBatchDevice([...steps], perBatch), {onBadRecord: (e) => out.bad.push(e.message)})
  try {
    reader.drain((r) => out.lines.push(formatLinuxkitLine(r, BOOT)))
    out.last = reader.lastSeq?.toString()
  } catch (error) {
    out.error = `${(error as NodeJS.ErrnoException).code}: ${(error as Error).message}`
  }
  return out
}

function viaPlainDump(steps: Step[], perBatch: number): Outcome & {recordPath: number} {
  const out = {lines: [] as string[], bad: [] as string[], recordPath: 0} as Outcome & {recordPath: number}
  try {
    const last = renderLinuxkitDump(new FakeBatchDevice([...steps], perBatch), BOOT, out.lines, {
      onBadRecord: (e) => out.bad.push(e.message),
      onRecordPath: () => out.recordPath++,
    })
    out.last = last?.toString()
  } catch (error) {
    out.error = `${(error as NodeJS.ErrnoException).code}: ${(error as Error).message}`
  }
  return out
}

function assertSame(steps: Step[], perBatch = Infinity): Outcome & {recordPath: number} {
  const plain = viaPlainDump(steps, perBatch)
  const {recordPath, ...got} = plain
  assert.deepEqual(got, viaRecordPath(steps, perBatch))
  return plain
}

const common = (seq: number, text = `record ${seq}`, usec = 5_000_000 + seq * 1_234) => rec(`6,${seq},${usec},-;${text}\n`)

describe('renderLinuxkitDump', () => {
  it('renders common records itself, across chunk boundaries, as the record path does', () => {
    const steps = Array.from({length: 40}, (_, i) => common(100 + i))
    for (const perBatch of [1, 3, 16, Infinity]) {
      const got = assertSame(steps, perBatch)
      assert.equal(got.recordPath, 0, `perBatch ${perBatch}: no record path needed`)
      assert.equal(got.lines.length, 40)
      assert.equal(got.last, '139')
    }
    // Flags, extra fields, no flags field, ';' and ',' in the text, unsafe bytes: still its own.
    const varied = [
      rec('6,1,10,c;con,tin;ued\n'), rec('4,2,20,-,caller=T1;with caller\n'), rec('3,3,30;no flags field\n'),
      rec('6,4,40,caller=T7;extra field only\n'), rec('6,5,50,-;raw \x01 and \xff bytes, kernel \\x0a escape\n'),
      rec('6,6,60,-;\n'), rec('191,7,70,+;no trailing newline'), rec('6,8,9007199254740991,-;largest safe usec\n'), rec('6,9,9,-;\n'),
    ]
    const got = assertSame(varied)
    assert.equal(got.recordPath, 0)
    assert.match(got.lines[4], /raw \\x01 and \\xff bytes, kernel \\x0a escape$/)
  })

  const takeOvers: Array<[string, Step[]]> = [
    ['records overwritten (EPIPE) in the middle', [common(1), common(2), err('EPIPE'), common(9), common(10)]],
    ['records overwritten before the first', [err('EPIPE'), common(50), common(51)]],
    ['a seq gap without EPIPE', [common(1), common(2), common(5)]],
    ['a seq going back (the ring read again)', [common(1), common(2), common(3), common(2), common(3), common(4)]],
    ['a dictionary', [common(1), rec('6,2,20,-;with dict\n SUBSYSTEM=usb\n DEVICE=c189:1\n'), common(3)]],
    ['a bad dictionary line', [common(1), rec('6,2,20,-;text\nnot a dict line\n'), common(3)]],
    ['a record that does not parse', [common(1), rec('hello\n'), common(2)]],
    ['a priority over 2047', [common(1), rec('2048,2,20,-;prio\n'), common(3)]],
    ['unknown flags', [common(1), rec('6,2,20,x;flags\n'), common(3)]],
    ['a leading zero in seq', [common(1), rec('6,02,20,-;zero\n'), common(3)]],
    ['a seq past 2^53', [rec('6,9007199254740993,20,-;big\n'), rec('6,9007199254740994,21,-;big\n')]],
    ['a usec past 2^53', [common(1), rec('6,2,9007199254740992,-;late\n')]],
    ['a 20-digit usec', [common(1), rec('6,2,18446744073709551615,-;late\n')]],
    ['EINVAL (record larger than the buffer)', [common(1), common(2), err('EINVAL')]],
    ['EIO after some records', [common(1), err('EIO')]],
    ['a 0-byte read (eof)', [common(1), common(2), rec(''), common(3)]],
  ]
  for (const [what, steps] of takeOvers) {
    it(`hands over to the record path, with the same outcome: ${what}`, () => {
      for (const perBatch of [1, 2, Infinity]) assertSame(steps, perBatch)
    })
  }

  it('takes no shortcut where the record path is needed', () => {
    assert.ok(viaPlainDump([common(1), err('EPIPE'), common(5)], Infinity).recordPath > 0)
    assert.ok(viaPlainDump([common(1), rec('6,2,20,-;d\n K=v\n')], Infinity).recordPath > 0)
    assert.equal(viaPlainDump([], Infinity).recordPath, 0)
    assert.deepEqual(viaPlainDump([], Infinity).lines, [])
  })

  it('agrees with the record path on 300 random dumps', () => {
    let seed = 42
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const odd = [
      () => err('EPIPE'), () => rec(`6,${rnd(5)},1,-;replayed\n`), () => rec('6,7,8,-;d\n K=v\n'), () => rec('junk\n'),
      () => rec('9999,1,2,-;prio\n'), () => rec('6,01,2,-;zero\n'), () => rec('6,99999999999999999,2,-;huge\n'),
      () => rec('6,3,4,-,caller=T2;\x7f\n'), () => err('EINTR'),
    ]
    for (let n = 0; n < 300; n++) {
      const steps: Step[] = []
      let seq = rnd(1000)
      const length = rnd(30)
      for (let i = 0; i < length; i++) {
        const r = rnd(20)
        if (r === 0) steps.push(odd[rnd(odd.length)]())
        else {
          if (r === 1) seq += 1 + rnd(3) // a gap
          steps.push(common(seq++, `t${rnd(100)};,${rnd(2) ? '' : '\\x0a'}`))
        }
      }
      if (rnd(4) === 0) steps.push(rnd(2) ? err('EINVAL') : rec(''))
      assertSame(steps, 1 + rnd(8))
    }
  })
})
