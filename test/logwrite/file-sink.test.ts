import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import {after, describe, it} from 'node:test'
import {freshDir, line, listLogs, makeSink, read} from './helpers.js'

const dirs: string[] = []
function dir(): string {
  const d = freshDir()
  dirs.push(d)
  return d
}
after(() => {
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})

/** Lines first..last (inclusive) of 30 bytes, as one string. */
function lines(first: number, last: number): string {
  let s = ''
  for (let i = first; i <= last; i++) s += line(i, 30)
  return s
}

/** Writes 20 lines of 30 bytes, flushing after each (as a slow follower would). */
function write20(d: string, maxFiles: number, batch = 1): void {
  const {sink} = makeSink(d, {maxSize: 100, maxFiles})
  for (let i = 0; i < 20; i++) {
    sink.add('x', line(i, 30))
    if ((i + 1) % batch === 0) sink.flush()
  }
  sink.close()
}

describe('rotation (case R1 and its neighbours)', () => {
  it('R1: N=3 keeps exactly x.log, x.log.0, x.log.1, none over the limit, newest in x.log', () => {
    for (const batch of [1, 7, 20]) {
      const d = dir()
      write20(d, 3, batch)
      assert.deepEqual(listLogs(d), ['x.log', 'x.log.0', 'x.log.1'])
      assert.equal(read(d, 'x.log'), lines(18, 19))
      assert.equal(read(d, 'x.log.0'), lines(15, 17))
      assert.equal(read(d, 'x.log.1'), lines(12, 14))
      for (const n of listLogs(d)) assert.ok(fs.statSync(path.join(d, n)).size <= 100)
    }
  })

  it('N=1 keeps the active file only', () => {
    const d = dir()
    write20(d, 1)
    assert.deepEqual(listLogs(d), ['x.log'])
    assert.equal(read(d, 'x.log'), lines(18, 19))
  })

  it('N=2 keeps the active file and .0', () => {
    const d = dir()
    write20(d, 2)
    assert.deepEqual(listLogs(d), ['x.log', 'x.log.0'])
    assert.equal(read(d, 'x.log.0'), lines(15, 17))
  })

  it('shows the exact file set after each rotation', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 3})
    const seen: string[][] = []
    for (let i = 0; i < 12; i++) {
      sink.add('x', line(i, 30))
      sink.flush()
      if (i % 3 === 2) seen.push(listLogs(d))
    }
    sink.close()
    assert.deepEqual(seen, [['x.log'], ['x.log', 'x.log.0'], ['x.log', 'x.log.0', 'x.log.1'], ['x.log', 'x.log.0', 'x.log.1']])
  })

  it('a lowered N deletes the surplus files of the earlier setting, plain and compressed', () => {
    const d = dir()
    write20(d, 6)
    assert.deepEqual(listLogs(d), ['x.log', 'x.log.0', 'x.log.1', 'x.log.2', 'x.log.3', 'x.log.4'])
    fs.writeFileSync(path.join(d, 'x.log.7.gz'), 'old')
    fs.writeFileSync(path.join(d, 'y.log.3'), 'another source, untouched')
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 2})
    sink.add('x', line(20, 30))
    sink.flush()
    assert.deepEqual(listLogs(d), ['x.log', 'x.log.0', 'y.log.3'])
    assert.equal(read(d, 'x.log'), lines(18, 19) + lines(20, 20))
    assert.equal(read(d, 'x.log.0'), lines(15, 17))
    sink.close()
  })

  it('--compress gzips rotated files and moves both forms in order', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 3})
    for (let i = 0; i < 6; i++) sink.add('x', line(i, 30))
    sink.close() // x.log.0 (plain) holds 0-2, x.log 3-5
    const gz = makeSink(d, {maxSize: 100, maxFiles: 3, compress: true})
    for (let i = 6; i < 9; i++) gz.sink.add('x', line(i, 30))
    gz.sink.close()
    assert.deepEqual(listLogs(d), ['x.log', 'x.log.0.gz', 'x.log.1'])
    assert.equal(zlib.gunzipSync(fs.readFileSync(path.join(d, 'x.log.0.gz'))).toString(), lines(3, 5))
    assert.equal(read(d, 'x.log.1'), lines(0, 2))
    assert.equal(read(d, 'x.log'), lines(6, 8))
    assert.deepEqual(fs.readdirSync(d).filter((n) => n.endsWith('.tmp')), [])
  })

  it('a line longer than the limit gets a file of its own', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 3})
    sink.add('x', line(0, 30))
    sink.add('x', line(1, 150))
    sink.add('x', line(2, 30))
    sink.close()
    assert.equal(read(d, 'x.log.1'), line(0, 30))
    assert.equal(read(d, 'x.log.0'), line(1, 150))
    assert.equal(read(d, 'x.log'), line(2, 30))
  })

  it('counts bytes, not characters', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 10, maxFiles: 2})
    sink.add('x', 'ééé\n') // 7 bytes
    sink.add('x', 'éé\n') // 5 bytes: 12 > 10, rotates
    sink.close()
    assert.equal(read(d, 'x.log.0'), 'ééé\n')
    assert.equal(read(d, 'x.log'), 'éé\n')
  })

  it('continues an existing file, counting its size', () => {
    const d = dir()
    fs.writeFileSync(path.join(d, 'x.log'), lines(0, 1))
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 2})
    sink.add('x', line(2, 30))
    sink.add('x', line(3, 30))
    sink.close()
    assert.equal(read(d, 'x.log.0'), lines(0, 2))
    assert.equal(read(d, 'x.log'), lines(3, 3))
  })
})

describe('files', () => {
  it('are created with mode 0644 and O_APPEND whatever the umask', () => {
    const d = dir()
    const old = process.umask(0o077)
    try {
      const {sink} = makeSink(d, {maxSize: 100, maxFiles: 2})
      for (let i = 0; i < 5; i++) sink.add('x', line(i, 30))
      sink.close()
    } finally {
      process.umask(old)
    }
    for (const n of ['x.log', 'x.log.0']) assert.equal(fs.statSync(path.join(d, n)).mode & 0o777, 0o644)
  })

  it('notices an external truncate and keeps counting from the real size', () => {
    const d = dir()
    let now = 0
    const {sink} = makeSink(d, {maxSize: 100, maxFiles: 2, checkIntervalMs: 1000}, () => now)
    sink.add('x', line(0, 30))
    sink.add('x', line(1, 30))
    sink.flush()
    fs.truncateSync(path.join(d, 'x.log'), 0)
    now = 1000
    sink.add('x', line(2, 30))
    sink.flush() // the check happens here: 30 bytes now, not 90
    sink.add('x', line(3, 30))
    sink.add('x', line(4, 30))
    sink.close()
    assert.deepEqual(listLogs(d), ['x.log'])
    assert.equal(read(d, 'x.log'), lines(2, 4))
  })

  it('notices an external delete and creates the file again', () => {
    const d = dir()
    let now = 0
    const {sink} = makeSink(d, {maxSize: 1000, maxFiles: 2, checkIntervalMs: 1000}, () => now)
    sink.add('x', line(0, 30))
    sink.flush()
    fs.unlinkSync(path.join(d, 'x.log'))
    now = 1500
    sink.add('x', line(1, 30))
    sink.close()
    assert.equal(read(d, 'x.log'), line(1, 30))
  })

  it('reopen() (SIGHUP) writes to a fresh file after the old one was moved away', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 1000, maxFiles: 2})
    sink.add('x', line(0, 30))
    sink.flush()
    fs.renameSync(path.join(d, 'x.log'), path.join(d, 'moved'))
    sink.reopen()
    sink.add('x', line(1, 30))
    sink.close()
    assert.equal(read(d, 'moved'), line(0, 30))
    assert.equal(read(d, 'x.log'), line(1, 30))
  })

  it('keeps at most maxOpen files open, closing the least recently used', () => {
    const d = dir()
    const {sink} = makeSink(d, {maxSize: 1000, maxFiles: 2, maxOpen: 2})
    const fdsBefore = fs.readdirSync('/proc/self/fd').length
    for (let round = 0; round < 3; round++) {
      for (const s of ['a', 'b', 'c', 'd', 'e']) {
        sink.add(s, `${s}${round}\n`)
        sink.flush()
        assert.ok(sink.openCount <= 2)
      }
    }
    assert.ok(fs.readdirSync('/proc/self/fd').length - fdsBefore <= 2)
    sink.close()
    assert.equal(sink.openCount, 0)
    assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore)
    for (const s of ['a', 'b', 'c', 'd', 'e']) assert.equal(read(d, `${s}.log`), `${s}0\n${s}1\n${s}2\n`)
  })

  it('reports an unwritable directory without throwing and counts the lines', () => {
    const d = dir()
    const {sink, messages} = makeSink(d, {maxSize: 1000, maxFiles: 2})
    fs.rmSync(d, {recursive: true})
    fs.writeFileSync(d, 'not a directory')
    for (let i = 0; i < 10; i++) {
      sink.add('x', line(i, 30))
      sink.flush()
    }
    sink.close()
    fs.rmSync(d)
    fs.mkdirSync(d)
    assert.equal(sink.stats.linesDropped, 10)
    assert.equal(sink.stats.linesWritten, 0)
    assert.match(messages[0], /^logwrite\[4242\]: cannot open .*x\.log: ENOTDIR \(not a directory\)/)
    assert.ok(messages.length <= 5, `rate-limited: ${messages.length} messages`)
  })
})
