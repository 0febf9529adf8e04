import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Ring} from '../../src/memlogd/ring.js'

function add(ring: Ring, text: string): number {
  const bytes = Buffer.from(text)
  const {buf, offset} = ring.reserve(bytes.length)
  bytes.copy(buf, offset)
  return ring.commit(offset + bytes.length)
}

function all(ring: Ring): string {
  return ring.ranges(ring.firstSeq).map((r) => r.bytes.toString()).join('')
}

describe('Ring', () => {
  it('numbers entries from 1 and returns them in order', () => {
    const ring = new Ring(10, 1 << 20)
    assert.equal(add(ring, 'a\n'), 1)
    assert.equal(add(ring, 'b\n'), 2)
    assert.equal(ring.entry(1)!.toString(), 'a\n')
    assert.equal(ring.entry(3), undefined)
    assert.equal(all(ring), 'a\nb\n')
  })

  it('drops the oldest entries beyond max lines', () => {
    const ring = new Ring(3, 1 << 20)
    for (let i = 1; i <= 5; i++) add(ring, `${i}\n`)
    assert.equal(ring.firstSeq, 3)
    assert.equal(ring.length, 3)
    assert.equal(ring.dropped, 2)
    assert.equal(all(ring), '3\n4\n5\n')
    assert.equal(ring.entry(2), undefined)
  })

  it('drops the oldest entries beyond max bytes but always keeps the newest', () => {
    const ring = new Ring(100, 10)
    add(ring, 'aaaa\n')
    add(ring, 'bbbb\n')
    assert.equal(ring.bytes, 10)
    add(ring, 'cccc\n')
    assert.equal(all(ring), 'bbbb\ncccc\n')
    add(ring, 'x'.repeat(50) + '\n')
    assert.equal(ring.length, 1)
    assert.equal(ring.bytes, 51)
  })

  it('grows past its initial capacity and keeps order across wrap-around', () => {
    const ring = new Ring(5000, 1 << 30)
    for (let i = 1; i <= 12_000; i++) add(ring, `${i}\n`)
    assert.equal(ring.firstSeq, 7001)
    const lines = all(ring).split('\n').filter(Boolean)
    assert.equal(lines.length, 5000)
    assert.equal(lines[0], '7001')
    assert.equal(lines.at(-1), '12000')
  })

  it('merges consecutive entries into byte ranges and honours the byte budget', () => {
    const ring = new Ring(1000, 1 << 20)
    for (let i = 0; i < 100; i++) add(ring, 'xxxxxxxxx\n')
    const ranges = ring.ranges(1)
    assert.equal(ranges.length, 1)
    assert.equal(ranges[0].toSeq, 101)
    const limited = ring.ranges(1, 95)
    assert.equal(limited.reduce((n, r) => n + r.bytes.length, 0), 100)
    assert.equal(limited.at(-1)!.toSeq, 11)
  })

  it('keeps slab bytes alive for a snapshot taken before entries are dropped', () => {
    const ring = new Ring(2, 1 << 20)
    add(ring, 'one\n')
    add(ring, 'two\n')
    const snapshot = ring.ranges(ring.firstSeq)
    for (let i = 0; i < 10; i++) add(ring, 'later\n')
    assert.equal(snapshot.map((r) => r.bytes.toString()).join(''), 'one\ntwo\n')
  })

  it('starts a new slab for an entry larger than the slab size', () => {
    const ring = new Ring(10, 1 << 30)
    const big = 'y'.repeat(300 * 1024) + '\n'
    add(ring, 'a\n')
    add(ring, big)
    add(ring, 'b\n')
    assert.equal(all(ring), 'a\n' + big + 'b\n')
  })
})
