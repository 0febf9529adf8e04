// A really full file system: a 256 KiB tmpfs mounted by the test (root only).

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {freshDir, line, makeSink} from './helpers.js'

let dir = ''
let mounted = false
let why = ''

before(() => {
  dir = freshDir('dk-lw-full-')
  if (process.getuid?.() !== 0) {
    why = 'needs root to mount a small tmpfs'
    return
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], {stdio: 'pipe'})
    mounted = true
  } catch (error) {
    why = `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`
  }
})

after(() => {
  if (mounted) execFileSync('umount', [dir])
  fs.rmSync(dir, {recursive: true, force: true})
})

function wholeLines(text: string): void {
  assert.ok(text === '' || text.endsWith('\n'), 'file ends with a whole line')
  for (const l of text.split('\n').slice(0, -1)) assert.match(l, /^line \d{3,} \.+$/)
}

describe('a full file system', () => {
  it('reports at a limited rate, counts lines not written, never throws, resumes when space returns', (t) => {
    if (!mounted) return t.skip(why)
    let now = 0
    const {sink, messages} = makeSink(dir, {maxSize: 64 * 1024, maxFiles: 10}, () => now)
    // Fill most of the space with another file we can delete later.
    fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(160 * 1024))
    let total = 0
    for (let i = 0; i < 4000; i++, total++) {
      sink.add(`s${i % 3}`, line(i, 100))
      if (i % 50 === 49) {
        sink.flush()
        now += 100
      }
    }
    sink.flush()
    assert.ok(sink.stats.linesDropped > 0, 'some lines were not written')
    assert.equal(sink.stats.linesWritten + sink.stats.linesDropped, total)
    const failures = messages.filter((m) => /ENOSPC/.test(m))
    assert.ok(failures.length >= 1)
    assert.ok(messages.length <= 5 * (now / 10_000 + 1) + 3, `rate-limited: ${messages.length} messages in ${now} ms`)
    assert.match(failures[0], /^logwrite\[4242\]: cannot write .*s\d\.log: ENOSPC \(no space left on device\)/)
    let onDisk = 0
    for (const n of fs.readdirSync(dir).filter((n) => n.startsWith('s'))) {
      const text = fs.readFileSync(path.join(dir, n), 'utf8')
      wholeLines(text)
      onDisk += text.split('\n').length - 1
    }
    assert.equal(onDisk, sink.stats.linesWritten)

    // Space returns: the next lines are written and the recovery is told.
    fs.unlinkSync(path.join(dir, 'filler'))
    now += 20_000
    const written = sink.stats.linesWritten
    for (let i = 0; i < 3; i++) sink.add(`s${i}`, line(9000 + i, 100))
    sink.close()
    assert.equal(sink.stats.linesWritten, written + 3)
    // Each file's recovery is told once, with all of its lines not written; together they are every line dropped.
    const again = messages.map((m) => /^logwrite\[4242\]: writing .*\/(s\d)\.log again; (\d+) lines could not be written meanwhile\n$/.exec(m)).filter((m) => m !== null)
    assert.deepEqual(again.map((m) => m[1]).sort(), ['s0', 's1', 's2'], messages.join(''))
    assert.equal(again.reduce((n, m) => n + Number(m[2]), 0), sink.stats.linesDropped)
    assert.ok(!messages.some((m) => /working again|were not written/.test(m)))
    for (let i = 0; i < 3; i++) assert.ok(fs.readFileSync(path.join(dir, `s${i}.log`), 'utf8').endsWith(line(9000 + i, 100)))
  })

  it('a read-only file system is reported, not fatal', (t) => {
    if (!mounted) return t.skip(why)
    execFileSync('mount', ['-o', 'remount,ro', dir])
    try {
      const {sink, messages} = makeSink(dir, {maxSize: 64 * 1024, maxFiles: 2})
      for (let i = 0; i < 10; i++) sink.add('ro', line(i, 50))
      sink.close()
      assert.equal(sink.stats.linesDropped, 10)
      assert.match(messages[0], /cannot open .*ro\.log: EROFS \(read-only file system\)/)
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', dir])
    }
  })
})
