// memlogd's query socket end to end (PROTOCOL.md §4, case Q1): the three
// modes, bad and missing mode bytes, clients leaving mid-dump, dumps of a big
// ring, the dump/follow boundary under a busy writer, and a stalled follower.

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, it} from 'node:test'
import {type Entry, type RunningDaemon, dump, parseNdjson, pySend, queryRaw, startMemlogd, waitFor, waitForEntries} from '../helpers/memlogd.js'
import {assertHealthy, livePy, msgsOf, openFdCount, record} from './memlogd-support.js'

const MODES = 'expected 0 (dump), 1 (follow) or 2 (dump then follow)'

/** Asserts seqs are consecutive, first to last. */
function assertConsecutive(entries: Entry[], what: string): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].seq !== entries[i - 1].seq! + 1) {
      assert.fail(`${what}: seq ${entries[i].seq} follows ${entries[i - 1].seq} at index ${i}`)
    }
  }
}

/** Asserts the entries of `source` are exactly "n 1" … "n N" in order. */
function assertCounted(entries: Entry[], source: string, n: number): void {
  const got = entries.filter((e) => e.source === source)
  assert.equal(got.length, n, `${source}: ${got.length} entries, expected ${n}`)
  for (let i = 0; i < n; i++) if (got[i].msg !== `n ${i + 1}`) assert.fail(`${source}: entry ${i} is ${JSON.stringify(got[i].msg)}`)
}

async function writeAll(d: RunningDaemon, name: string, n: number): Promise<void> {
  const py = livePy(d.logSock, name, 'stream', String(n))
  py.endInput()
  assert.equal(await py.exited, 0)
  await waitForEntries(d.querySock, (e) => e.source === name && e.msg === `n ${n}`, 1, 30_000)
}

describe('modes and bad requests (--client-timeout 1)', () => {
  let d: RunningDaemon
  before(async () => {
    d = await startMemlogd(['--client-timeout', '1'])
    assert.equal((await pySend(d.logSock, 'old', 'pipe', undefined, ['o1\no2\no3\n'])).code, 0)
    await waitForEntries(d.querySock, (e) => e.source === 'old', 3)
  })
  after(async () => {
    assert.equal(await d.stop(), 0)
  })

  it('Q1 mode 0: the whole ring, oldest first, then EOF', async () => {
    const es = parseNdjson(await queryRaw(d.querySock, [0]))
    assert.equal(es[0].seq, 1)
    assert.match(es[0].msg, /^memlogd started \(instance [0-9a-f]{16}, max-lines 5000, /)
    assertConsecutive(es, 'dump')
    assert.deepEqual(msgsOf(es.filter((e) => e.source === 'old')), ['o1', 'o2', 'o3'])
    for (const e of es) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/)
  })

  it('Q1 mode 1: only entries that arrive after it connected, and no EOF', async () => {
    const last = (await dump(d.querySock)).at(-1)!.seq!
    const rec = await record(d.querySock, [1])
    assert.equal((await pySend(d.logSock, 'new1', 'pipe', undefined, ['f1\nf2\n'])).code, 0)
    await waitFor(() => rec.entries.filter((e) => e.source === 'new1').length === 2, 10_000, 'follower to get new lines')
    assert.deepEqual(msgsOf(rec.entries.filter((e) => e.source === 'new1')), ['f1', 'f2'])
    assert.ok(rec.entries.every((e) => e.seq! > last), 'nothing from before the follower connected')
    assert.equal(rec.entries.some((e) => e.source === 'old'), false)
    assertConsecutive(rec.entries, 'follow')
    assert.equal(rec.isClosed(), false)
    rec.sock.destroy()
  })

  it('Q1 mode 2: the ring, then new entries, on one connection', async () => {
    const rec = await record(d.querySock, [2])
    assert.equal((await pySend(d.logSock, 'new2', 'pipe', undefined, ['g1\n'])).code, 0)
    await waitFor(() => rec.entries.some((e) => e.source === 'new2'), 10_000, 'dump+follow to get the new line')
    assert.equal(rec.entries[0].seq, 1)
    assertConsecutive(rec.entries, 'dump+follow')
    assert.deepEqual(msgsOf(rec.entries.filter((e) => e.source === 'old')), ['o1', 'o2', 'o3'])
    assert.equal(rec.isClosed(), false)
    rec.sock.destroy()
  })

  for (const [what, request, byte] of [['mode byte 3', [3], '0x03'], ['ASCII "2\\n"', [0x32, 0x0a], '0x32'], ['mode byte 0xff', [0xff], '0xff']] as const) {
    it(`${what}: one error entry from memlogd, then close`, async () => {
      const es = parseNdjson(await queryRaw(d.querySock, [...request], 5000))
      assert.equal(es.length, 1)
      assert.equal(es[0].source, 'memlogd')
      assert.equal(es[0].msg, `invalid query mode byte ${byte}: ${MODES}`)
      await assertHealthy(d, `mode-${byte}`)
    })
  }

  it('a client that never sends its byte is closed after ~1 s; others are served meanwhile', async () => {
    const t0 = Date.now()
    const silent = await record(d.querySock, [])
    // Dumps from other clients are answered while the silent one waits.
    for (let i = 0; i < 3; i++) {
      const es = await dump(d.querySock)
      assert.ok(es.some((e) => e.source === 'old'))
    }
    assert.equal(silent.isClosed(), false, 'silent client closed before the other dumps were served')
    await Promise.race([silent.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('silent client not closed')), 10_000))])
    const waited = Date.now() - t0
    assert.ok(waited >= 900, `closed after ${waited} ms, before the 1 s timeout`)
    assert.deepEqual(silent.entries.map((e) => [e.source, e.msg]), [['memlogd', 'no query mode byte within 1s; closing']])
    await assertHealthy(d, 'silent')
  })

  it('a client that connects and leaves without a byte costs nothing', async () => {
    const fds = openFdCount(d.proc.pid!)
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const c = net.createConnection(d.querySock)
        c.once('error', reject)
        c.once('connect', () => {
          c.destroy()
          resolve()
        })
      })
    }
    await waitFor(() => openFdCount(d.proc.pid!) <= fds, 10_000, 'daemon fds back to the baseline')
    await assertHealthy(d, 'hangup')
  })
})

describe('a big ring (--max-lines 300000)', () => {
  let d: RunningDaemon
  const N = 300_000
  before(async () => {
    d = await startMemlogd(['--max-lines', String(N), '--max-bytes', '512MiB'])
    await writeAll(d, 'bulk', N)
  })
  after(async () => {
    assert.equal(await d.stop(), 0)
  })

  it('Q1: a dump returns every ring entry (count and seq range exact)', async () => {
    // The ring holds N entries: N lines plus the start note, minus the oldest (the start note).
    const es = parseNdjson(await queryRaw(d.querySock, [0], 30_000))
    assert.equal(es.length, N)
    assert.equal(es[0].seq, 2)
    assert.equal(es.at(-1)!.seq, N + 1)
    assertConsecutive(es, 'big dump')
    assertCounted(es, 'bulk', N)
  })

  it('clients leaving after the first chunk of a dump cost nothing; the next dump is complete', async () => {
    const pid = d.proc.pid!
    const fds = openFdCount(pid)
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const c = net.createConnection(d.querySock)
        c.once('error', reject)
        c.once('connect', () => c.write(Buffer.from([i % 2 === 0 ? 0 : 2])))
        c.once('data', () => {
          c.destroy()
          resolve()
        })
      })
    }
    await waitFor(() => openFdCount(pid) <= fds, 10_000, 'daemon fds back to the baseline')
    await assertHealthy(d, 'mid-dump')
    const es = parseNdjson(await queryRaw(d.querySock, [0], 30_000))
    assert.equal(es.length, N)
    assertConsecutive(es, 'dump after disconnects')
    assert.equal(es.at(-1)!.source, 'after-mid-dump')
  })
})

describe('dump then follow while a writer is busy', () => {
  let d: RunningDaemon
  before(async () => {
    d = await startMemlogd(['--max-lines', '300000', '--max-bytes', '512MiB'])
  })
  after(async () => {
    assert.equal(await d.stop(), 0)
  })

  it('Q1 mode 2: no gap and no duplicate at the boundary (several clients joining mid-stream)', async () => {
    const N = 60_000
    // 300 bursts of 200 lines, 2 ms apart: the writer runs for a good while.
    const writer = livePy(d.logSock, 'busy', 'stream', `${N}:200:2`)
    writer.endInput()
    await waitForEntries(d.querySock, (e) => e.source === 'busy', 1, 10_000)
    const clients = []
    let joinedWhileWriting = 0
    for (let i = 0; i < 4; i++) {
      if (writer.proc.exitCode === null) joinedWhileWriting++
      clients.push(await record(d.querySock, [2]))
      await new Promise((r) => setTimeout(r, 80))
    }
    assert.ok(joinedWhileWriting >= 1, 'no client joined while the writer was running')
    assert.equal(await writer.exited, 0)
    for (const [i, c] of clients.entries()) {
      await waitFor(() => c.entries.some((e) => e.source === 'busy' && e.msg === `n ${N}`), 30_000, `client ${i} to see the last line`)
      assert.equal(c.entries[0].seq, 1, `client ${i} starts at the oldest entry`)
      assertConsecutive(c.entries, `client ${i}`)
      assertCounted(c.entries, 'busy', N)
      c.sock.destroy()
    }
  })
})

describe('a follower that stops reading (--max-lines 1000)', () => {
  let d: RunningDaemon
  before(async () => {
    d = await startMemlogd(['--max-lines', '1000'])
  })
  after(async () => {
    assert.equal(await d.stop(), 0)
  })

  it('is told how many entries it lost; ingestion and other dumps go on', async () => {
    const N = 200_000
    const stalled = await record(d.querySock, [1])
    stalled.sock.pause()
    const writer = livePy(d.logSock, 'flood', 'stream', String(N))
    writer.endInput()
    // Another client's dumps are served while the follower is stuck.
    let dumps = 0
    while (writer.proc.exitCode === null && dumps < 20) {
      const es = parseNdjson(await queryRaw(d.querySock, [0], 5000))
      assert.ok(es.length >= 1 && es.length <= 1000)
      assertConsecutive(es, 'dump beside a stalled follower')
      dumps++
    }
    assert.equal(await writer.exited, 0)
    // Every line went into the ring: the last 1000 are the writer's newest.
    const tail = await waitForEntries(d.querySock, (e) => e.source === 'flood' && e.msg === `n ${N}`, 1, 30_000)
    assert.equal(tail.length, 1)
    const ring = await dump(d.querySock)
    assert.equal(ring.length, 1000)
    assert.deepEqual(ring.at(-1)!.msg, `n ${N}`)
    assert.equal(ring[0].msg, `n ${N - 999}`)
    // Now read: the follower gets what its socket held, a loss notice, then the ring's tail.
    stalled.sock.resume()
    await waitFor(() => stalled.entries.some((e) => e.msg === `n ${N}`), 30_000, 'the stalled follower to catch up')
    let prev: number | undefined
    let lost = 0
    let notices = 0
    let expectGap = 0
    for (const e of stalled.entries) {
      if (e.seq === undefined) {
        const m = /^this client lost (\d+) log entries: it read slower than they arrived and the ring \(1000 lines\) moved on$/.exec(e.msg)
        assert.ok(m, `unexpected entry without seq: ${JSON.stringify(e)}`)
        assert.equal(e.source, 'memlogd')
        expectGap += Number(m[1])
        lost += Number(m[1])
        notices++
        continue
      }
      if (prev !== undefined) assert.equal(e.seq, prev + 1 + expectGap, `seq after ${prev} with ${expectGap} reported lost`)
      prev = e.seq
      expectGap = 0
    }
    assert.ok(notices >= 1, 'no loss notice')
    const received = stalled.entries.filter((e) => e.source === 'flood').length
    assert.ok(lost > 0)
    // Everything since it connected is either received or reported lost.
    assert.equal(received + lost, N)
    stalled.sock.destroy()
    await assertHealthy(d, 'stalled')
  })
})
