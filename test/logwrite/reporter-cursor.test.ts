import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {
  RECORD_SIZE, RateLimitedReporter, StateFile, StateFileError, classifyRecord, compareTime, decodeCursor, encodeCursor, isSelfMessage, parseTime,
} from '../../src/logwrite/index.js'
import {freshDir} from './helpers.js'

const ENOSPC = Object.assign(new Error('x'), {code: 'ENOSPC'})

/** A reporter on a clock the test moves; no real timers. */
function fake(opts: {intervalMs?: number; burst?: number} = {}) {
  const clock = {now: 0}
  const out: string[] = []
  const r = new RateLimitedReporter({write: (l) => out.push(l), now: () => clock.now, pid: 7, intervalMs: 1000, timers: false, ...opts})
  return {r, out, clock}
}

const fileFail = (r: RateLimitedReporter, name: string, dropped: number) =>
  r.failure(name, `cannot write /l/${name}`, ENOSPC, {dropped, again: `writing /l/${name} again`, file: true})

describe('RateLimitedReporter', () => {
  it('tells a failure at once, then at most once per interval with the lines not written meanwhile; then that it works again', () => {
    const {r, out, clock} = fake()
    fileFail(r, 'x.log', 3)
    for (let i = 0; i < 100; i++) fileFail(r, 'x.log', 1)
    clock.now = 1000
    fileFail(r, 'x.log', 2)
    r.recovered('x.log')
    assert.equal(out.length, 2, 'the recovery waits for its turn (one line per key per interval)')
    clock.now = 1999
    r.tick()
    assert.equal(out.length, 2)
    clock.now = 2000
    r.tick()
    assert.deepEqual(out, [
      'logwrite[7]: cannot write /l/x.log: ENOSPC (no space left on device); 3 lines not written\n',
      'logwrite[7]: cannot write /l/x.log: ENOSPC (no space left on device); 102 lines not written\n',
      'logwrite[7]: writing /l/x.log again; 105 lines could not be written meanwhile\n',
    ])
    assert.equal(r.isFailing('x.log'), false)
    r.flush()
    assert.equal(out.length, 3, 'nothing left to tell at exit')
  })

  it('does not flap: failing and working again at every rotation gives one line per interval', () => {
    const {r, out, clock} = fake()
    for (let i = 0; i < 50; i++) {
      clock.now = i * 10
      fileFail(r, 'n.log', 1)
      clock.now = i * 10 + 5
      r.recovered('n.log')
    }
    assert.deepEqual(out, ['logwrite[7]: cannot write /l/n.log: ENOSPC (no space left on device); 1 line not written\n'])
    clock.now = 1000
    r.tick()
    assert.deepEqual(out.slice(1), ['logwrite[7]: writing /l/n.log again; 50 lines could not be written meanwhile\n'])
    // A new failure after that is a new episode, told at once, counted from 0.
    clock.now = 2000
    fileFail(r, 'n.log', 4)
    assert.equal(out.at(-1), 'logwrite[7]: cannot write /l/n.log: ENOSPC (no space left on device); 4 lines not written\n')
  })

  it('never says "again" about a failure it did not tell, but keeps its count of lines not written', () => {
    const {r, out, clock} = fake({burst: 1})
    r.message('first')
    fileFail(r, 'q.log', 5)
    r.recovered('q.log')
    clock.now = 1000
    r.tick()
    assert.deepEqual(out, ['logwrite[7]: first\n', 'logwrite[7]: 1 more write error in the last 1 s (1 file)\n'])
    r.flush()
    assert.deepEqual(out.slice(2), ['logwrite[7]: cannot write /l/q.log: ENOSPC (no space left on device); 5 lines not written\n'])
  })

  it('limits all keys together: ~1,500 failing files for 4 s give the burst, one summary per window, and a bounded exit', () => {
    const {r, out, clock} = fake({intervalMs: 10_000, burst: 10})
    for (let t = 0; t <= 4000; t += 100) {
      clock.now = t
      for (let i = 0; i < 1500; i++) fileFail(r, `s${i}.log`, 2)
    }
    assert.equal(out.length, 10)
    assert.match(out[9], /^logwrite\[7\]: cannot write \/l\/s9\.log: ENOSPC \(no space left on device\); 2 lines not written\n$/)
    clock.now = 10_000
    r.tick()
    // 1,490 files held at each of the 41 rounds.
    assert.deepEqual(out.slice(10), ['logwrite[7]: 61090 more write errors in the last 10 s (1490 files)\n'])
    // Next window (the summary is its first line): nine more files are told, with
    // every line they could not write since they were last told.
    fileFail(r, 's0.log', 1)
    assert.equal(out.at(-1), 'logwrite[7]: cannot write /l/s0.log: ENOSPC (no space left on device); 81 lines not written\n')
    for (let i = 10; i < 30; i++) fileFail(r, `s${i}.log`, 1)
    assert.equal(out.length, 20)
    assert.equal(out.at(-1), 'logwrite[7]: cannot write /l/s17.log: ENOSPC (no space left on device); 83 lines not written\n')
    const before = out.length
    r.flush()
    const exit = out.slice(before)
    // At exit: the summary, ten files with untold counts (s1..s9 told at 0, then 40 rounds of 2; s18 never told), one line for the rest.
    assert.equal(exit.length, 12, exit.join(''))
    assert.equal(exit[0], 'logwrite[7]: 12 more write errors in the last 10 s (12 files)\n')
    assert.equal(exit[1], 'logwrite[7]: cannot write /l/s1.log: ENOSPC (no space left on device); 80 lines not written\n')
    assert.equal(exit[10], 'logwrite[7]: cannot write /l/s18.log: ENOSPC (no space left on device); 83 lines not written\n')
    assert.equal(exit[11], `logwrite[7]: and 1481 more files with ${11 * 83 + 1470 * 82} lines not written\n`)
  })

  it('holds back plain messages too, and says how many', () => {
    const {r, out, clock} = fake({burst: 2})
    for (let i = 0; i < 5; i++) r.message(`m${i}`)
    clock.now = 1000
    r.message('later')
    assert.deepEqual(out, ['logwrite[7]: m0\n', 'logwrite[7]: m1\n', 'logwrite[7]: 3 more messages held back in the last 1 s\n', 'logwrite[7]: later\n'])
  })

  it('with timers, prints the summary when the window ends even if nothing else happens', async () => {
    const out: string[] = []
    const r = new RateLimitedReporter({write: (l) => out.push(l), pid: 7, intervalMs: 100, burst: 1})
    r.failure('a', 'cannot write /l/a.log', ENOSPC, {dropped: 1, file: true})
    r.failure('b', 'cannot write /l/b.log', ENOSPC, {dropped: 1, file: true})
    assert.equal(out.length, 1)
    await new Promise((res) => setTimeout(res, 250))
    assert.deepEqual(out.slice(1), ['logwrite[7]: 1 more write error in the last 100 ms (1 file)\n'])
    r.flush()
  })

  it('flush() tells the counts not yet told', () => {
    const {r, out} = fake()
    r.failure('k', 'cannot open /l/y.log', Object.assign(new Error('no'), {code: 'EACCES'}), {dropped: 1})
    r.failure('k', 'cannot open /l/y.log', Object.assign(new Error('no'), {code: 'EACCES'}), {dropped: 4})
    r.flush()
    assert.deepEqual(out, [
      'logwrite[7]: cannot open /l/y.log: EACCES (permission denied); 1 line not written\n',
      'logwrite[7]: cannot open /l/y.log: EACCES (permission denied); 4 lines not written\n',
    ])
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

describe('cursor record', () => {
  const c = {instance: 'abc123', seq: 42, time: '2026-12-03T15:20:56Z', sameTime: 2}

  it('is exactly 512 bytes: the versioned JSON, spaces, a newline', () => {
    const buf = encodeCursor(c)
    const json = '{"logwrite-cursor":1,"instance":"abc123","seq":42,"time":"2026-12-03T15:20:56Z","sameTime":2}'
    assert.equal(buf.length, RECORD_SIZE)
    assert.equal(buf.toString(), json + ' '.repeat(511 - json.length) + '\n')
    assert.deepEqual(classifyRecord(buf), {kind: 'cursor', cursor: c})
  })

  it('reads the record of earlier diagkit versions (no version key), only when it is exactly that', () => {
    const legacy = Buffer.alloc(512, 0x20)
    legacy.write('{"instance":"abc123","seq":42,"time":"2026-12-03T15:20:56Z","sameTime":2}')
    legacy[511] = 10
    assert.deepEqual(classifyRecord(legacy), {kind: 'cursor', cursor: c})
    assert.equal(decodeCursor('{"instance":"a","seq":1,"time":"","sameTime":0,"other":1}'), undefined)
  })

  it('tells foreign files (never to be written) from its own damaged ones', () => {
    const pad = (s: string, fill = ' ') => Buffer.from((s + fill.repeat(511 - s.length)).slice(0, 511) + '\n')
    for (const text of ['', 'garbage', '{"instance":1}', '[]', 'null', '{"instance":"a","seq":-1,"time":"","sameTime":0}']) {
      assert.equal(classifyRecord(Buffer.from(text)).kind, 'foreign', text)
      assert.equal(classifyRecord(pad(text)).kind, 'foreign', text)
    }
    assert.equal(classifyRecord(Buffer.alloc(512)).kind, 'foreign', 'NULs')
    // A cursor's JSON followed by anything but spaces is not a record.
    const json = '{"instance":"a","seq":1,"time":"","sameTime":0}'
    assert.equal(classifyRecord(pad(json + ' x')).kind, 'foreign')
    assert.equal(classifyRecord(Buffer.from(json + '\n')).kind, 'foreign', 'not 512 bytes')
    for (const text of ['{"logwrite-cursor":1,"inst', '{"logwrite-cursor":2,"instance":"a","seq":1,"time":"","sameTime":0}']) {
      assert.equal(classifyRecord(pad(text)).kind, 'damaged', text)
      assert.equal(classifyRecord(Buffer.from(text)).kind, 'damaged', text)
    }
  })

  it('drops an instance too long to keep (a later start reads the whole ring)', () => {
    assert.deepEqual(classifyRecord(encodeCursor({instance: 'i'.repeat(300), seq: 9, time: '', sameTime: 0})).cursor, {instance: '', seq: 0, time: '', sameTime: 0})
  })
})

describe('cursor state file', () => {
  const dir = freshDir()
  after(() => fs.rmSync(dir, {recursive: true, force: true}))
  const c = {instance: 'abc123', seq: 42, time: '2026-12-03T15:20:56Z', sameTime: 2}

  it('is created whole at open, saved in place, read back; no temporary file is left', () => {
    const d = path.join(dir, 'new')
    fs.mkdirSync(d)
    const p = path.join(d, 'state')
    const st = new StateFile(p)
    assert.deepEqual(st.open(), {created: true, damaged: false})
    assert.deepEqual(fs.readFileSync(p), encodeCursor({instance: '', seq: 0, time: '', sameTime: 0}))
    st.save(c)
    st.save({...c, seq: 43})
    st.close()
    assert.deepEqual(fs.readdirSync(d), ['state'])
    assert.equal(fs.statSync(p).size, 512)
    const again = new StateFile(p)
    assert.deepEqual(again.open(), {cursor: {...c, seq: 43}, created: false, damaged: false})
    again.save({...c, seq: 2, instance: 'x'}) // shorter record: no bytes of the longer one may survive
    again.close()
    assert.deepEqual(fs.readFileSync(p), encodeCursor({...c, seq: 2, instance: 'x'}))
  })

  it('refuses a file that is not a cursor, naming it, and leaves it untouched', () => {
    const p = path.join(dir, 'foreign')
    for (const text of ['', 'important data\n', '{"instance":1}']) {
      fs.writeFileSync(p, text)
      const before = fs.statSync(p)
      assert.throws(() => new StateFile(p, `--state-file ${p}`).open(), {name: 'StateFileError', message: `--state-file ${p} exists and is not a logwrite cursor; remove it or choose another path`})
      assert.equal(fs.readFileSync(p, 'utf8'), text)
      assert.equal(fs.statSync(p).mtimeMs, before.mtimeMs)
    }
  })

  it('rewrites its own damaged record, saying so', () => {
    const p = path.join(dir, 'damaged')
    fs.writeFileSync(p, '{"logwrite-cursor":1,"instance":"ab')
    const st = new StateFile(p)
    assert.deepEqual(st.open(), {created: false, damaged: true})
    st.save(c)
    st.close()
    assert.deepEqual(fs.readFileSync(p), encodeCursor(c))
  })

  it('refuses what cannot be a state file: a directory, a missing directory, a dangling link, a fifo', () => {
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'))
    const cases: Array<[string, string]> = [
      [dir, `state file ${dir} is a directory; choose a file path`],
      [path.join(dir, 'no/such/state'), `cannot create state file ${path.join(dir, 'no/such/state')}: directory ${path.join(dir, 'no/such')} does not exist`],
      [path.join(dir, 'dangling'), `state file ${path.join(dir, 'dangling')} is a symbolic link to nothing; remove it or choose another path`],
      [fifo, `state file ${fifo} exists and is not a logwrite cursor; remove it or choose another path`],
      [path.join(dir, 'foreign-parent/x'), `cannot create state file ${path.join(dir, 'foreign-parent/x')}: directory ${path.join(dir, 'foreign-parent')} does not exist`],
    ]
    for (const [p, message] of cases) assert.throws(() => new StateFile(p).open(), (e: unknown) => e instanceof StateFileError && e.message === message)
    fs.writeFileSync(path.join(dir, 'plain'), 'x')
    assert.throws(() => new StateFile(path.join(dir, 'plain/x')).open(), {message: `cannot open state file ${path.join(dir, 'plain/x')} for reading and writing: ENOTDIR (a path component is not a directory)`})
  })
})
