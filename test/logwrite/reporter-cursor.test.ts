import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {StateFile, compareTime, decodeCursor, encodeCursor, isSelfMessage, parseTime, RateLimitedReporter} from '../../src/logwrite/index.js'
import {freshDir} from './helpers.js'

describe('RateLimitedReporter', () => {
  it('tells a failure at once, then at most once per interval with the lines dropped meanwhile', () => {
    let now = 0
    const out: string[] = []
    const r = new RateLimitedReporter({write: (l) => out.push(l), now: () => now, pid: 7, intervalMs: 1000})
    const enospc = Object.assign(new Error('x'), {code: 'ENOSPC'})
    r.failure('f', 'cannot write /l/x.log', enospc, 3)
    for (let i = 0; i < 100; i++) r.failure('f', 'cannot write /l/x.log', enospc, 1)
    now = 1000
    r.failure('f', 'cannot write /l/x.log', enospc, 2)
    r.recovered('f')
    assert.deepEqual(out, [
      'logwrite[7]: cannot write /l/x.log: ENOSPC (no space left on device); 3 lines not written\n',
      'logwrite[7]: cannot write /l/x.log: ENOSPC (no space left on device); 102 lines not written\n',
      'logwrite[7]: cannot write /l/x.log: working again; 105 lines were not written while it failed\n',
    ])
    assert.equal(r.isFailing('f'), false)
  })

  it('limits all messages to a burst per interval and says how many it held back', () => {
    let now = 0
    const out: string[] = []
    const r = new RateLimitedReporter({write: (l) => out.push(l), now: () => now, pid: 1, intervalMs: 1000, burst: 2})
    for (let i = 0; i < 5; i++) r.message(`m${i}`)
    now = 1000
    r.message('later')
    assert.deepEqual(out, ['logwrite[1]: m0\n', 'logwrite[1]: m1\n', 'logwrite[1]: 3 messages suppressed (rate limit)\n', 'logwrite[1]: later\n'])
  })

  it('flush() tells the counts not yet told', () => {
    let now = 0
    const out: string[] = []
    const r = new RateLimitedReporter({write: (l) => out.push(l), now: () => now, pid: 1, intervalMs: 1000})
    r.failure('k', 'cannot open /l/y.log', Object.assign(new Error('no'), {code: 'EACCES'}), 1)
    r.failure('k', 'cannot open /l/y.log', Object.assign(new Error('no'), {code: 'EACCES'}), 4)
    r.flush()
    assert.equal(out.at(-1), 'logwrite[1]: cannot open /l/y.log: EACCES (permission denied); 4 lines not written\n')
  })

  it('recognises its own messages only', () => {
    assert.equal(isSelfMessage('logwrite[123]: cannot write'), true)
    assert.equal(isSelfMessage('logwrite[]: x'), false)
    assert.equal(isSelfMessage('my logwrite[1]: x'), false)
    assert.equal(isSelfMessage('logwrite: x'), false)
  })
})

describe('times for the fallback cursor', () => {
  it('parses RFC 3339 with any fraction and offset', () => {
    assert.deepEqual(parseTime('2026-12-03T15:20:56.493396632Z'), [1796311256, 493396632])
    assert.deepEqual(parseTime('2026-12-03T15:20:56.4933966Z'), [1796311256, 493396600])
    assert.deepEqual(parseTime('2026-12-03T15:20:56Z'), [1796311256, 0])
    assert.deepEqual(parseTime('2026-12-03T16:20:56.5+01:00'), [1796311256, 500000000])
    for (const bad of ['', 'yesterday', '2026-12-03 15:20', '2026-13-40T99:00:00Z', '2026-12-03T15:20:56.Z']) assert.equal(parseTime(bad), undefined)
  })

  it('orders times whose fractions are written differently', () => {
    assert.ok(compareTime(parseTime('2026-12-03T15:20:56.4933966Z')!, parseTime('2026-12-03T15:20:56.493396632Z')!) < 0)
    assert.equal(compareTime(parseTime('2026-12-03T15:20:56.5Z')!, parseTime('2026-12-03T15:20:56.500000000Z')!), 0)
    assert.ok(compareTime(parseTime('2026-12-03T15:20:57Z')!, parseTime('2026-12-03T15:20:56.999999999Z')!) > 0)
  })
})

describe('cursor state file', () => {
  const dir = freshDir()
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('round-trips in a fixed 512-byte record', () => {
    const c = {instance: 'abc123', seq: 42, time: '2026-12-03T15:20:56Z', sameTime: 2}
    const buf = encodeCursor(c)
    assert.equal(buf.length, 512)
    assert.equal(buf[511], 10)
    assert.deepEqual(decodeCursor(buf.toString().trim()), c)
    const st = new StateFile(path.join(dir, 'state'))
    assert.equal(st.load(), undefined)
    st.save(c)
    st.save({...c, seq: 43})
    st.close()
    assert.equal(fs.statSync(path.join(dir, 'state')).size, 512)
    assert.deepEqual(new StateFile(path.join(dir, 'state')).load(), {...c, seq: 43})
  })

  it('drops an instance too long to keep (a later start reads the whole ring)', () => {
    assert.deepEqual(decodeCursor(encodeCursor({instance: 'i'.repeat(300), seq: 9, time: '', sameTime: 0}).toString().trim()), {instance: '', seq: 0, time: '', sameTime: 0})
  })

  it('refuses a file that is not a cursor, naming it', () => {
    const p = path.join(dir, 'bad')
    for (const text of ['{"instance":1}', 'garbage', '{"instance":"a","seq":-1,"time":"","sameTime":0}', '[]']) {
      fs.writeFileSync(p, text)
      assert.throws(() => new StateFile(p).load(), {message: `state file ${p} is not a logwrite cursor`})
    }
    fs.writeFileSync(p, '')
    assert.equal(new StateFile(p).load(), undefined)
  })
})
