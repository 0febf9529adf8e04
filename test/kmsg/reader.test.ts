import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {drainKmsg, KmsgFollower, KmsgReader, KmsgReadError, type KmsgRecord, type Watch} from '../../src/kmsg/index.js'
import {err, FakeBatchDevice, FakeDevice, rec, type Step} from './helpers.js'

const r = (seq: number, text = `m${seq}`) => rec(`6,${seq},${seq * 1000},-;${text}\n`)
const seqs = (rs: KmsgRecord[]) => rs.map((x) => (x.lost ? `lost:${x.lost.first ?? '?'}-${x.lost.last}` : String(x.seq)))

function drainAll(reader: KmsgReader): KmsgRecord[] {
  const out: KmsgRecord[] = []
  reader.drain((x) => out.push(x))
  return out
}

describe('KmsgReader over a fake device', () => {
  it('reads one record per read until EAGAIN, with an 8 KiB+ buffer', () => {
    const dev = new FakeDevice([r(1), r(2), r(3)])
    const reader = new KmsgReader(dev)
    const out: KmsgRecord[] = []
    assert.equal(reader.drain((x) => out.push(x)), 'drained')
    assert.deepEqual(seqs(out), ['1', '2', '3'])
    assert.equal(dev.reads, 4) // the 4th read is the EAGAIN
    assert.ok(dev.bufferSizes.every((n) => n >= 8192))
    assert.equal(reader.lastSeq, 3n)
  })

  it('a later drain picks up new records only', () => {
    const dev = new FakeDevice([r(1)])
    const reader = new KmsgReader(dev)
    assert.deepEqual(seqs(drainAll(reader)), ['1'])
    assert.deepEqual(seqs(drainAll(reader)), [])
    dev.push(r(2))
    assert.deepEqual(seqs(drainAll(reader)), ['2'])
  })

  it('EPIPE: keeps reading and reports the overwritten seq range once', () => {
    const dev = new FakeDevice([r(10), err('EPIPE'), r(15), r(16)])
    const out = drainAll(new KmsgReader(dev))
    assert.deepEqual(seqs(out), ['10', 'lost:11-14', '15', '16'])
    const lost = out[1]
    assert.equal(lost.text, 'diagkit kmsg: 4 records lost (seq 11-14): overwritten in the kernel ring before they were read')
    assert.equal(lost.seq, 14n)
    assert.equal(lost.usec, 15000n)
    assert.deepEqual([lost.facility, lost.level], [5, 4])
  })

  it('EPIPE losing exactly one record says "1 record"', () => {
    const out = drainAll(new KmsgReader(new FakeDevice([r(1), err('EPIPE'), r(3)])))
    assert.equal(out[1].text, 'diagkit kmsg: 1 record lost (seq 2): overwritten in the kernel ring before they were read')
  })

  it('EPIPE before the first record: the range start is unknown', () => {
    const out = drainAll(new KmsgReader(new FakeDevice([err('EPIPE'), r(500)])))
    assert.deepEqual(seqs(out), ['lost:?-499', '500'])
    assert.equal(out[0].text, 'diagkit kmsg: records lost before seq 500: overwritten in the kernel ring before they were read')
  })

  it('EINTR is retried', () => {
    assert.deepEqual(seqs(drainAll(new KmsgReader(new FakeDevice([r(1), err('EINTR'), r(2)])))), ['1', '2'])
  })

  it('EINVAL (record larger than the buffer) is a clear KmsgReadError', () => {
    const dev = new FakeDevice([r(1), rec(`6,2,3,-;${'x'.repeat(20000)}\n`)])
    const out: KmsgRecord[] = []
    const reader = new KmsgReader(dev)
    assert.throws(() => reader.drain((x) => out.push(x)), (e: unknown) =>
      e instanceof KmsgReadError && e.code === 'EINVAL' &&
      e.message === 'read /fake/kmsg: EINVAL: a record did not fit the 16384-byte read buffer')
    assert.deepEqual(seqs(out), ['1']) // records before the error were delivered
  })

  it('EIO is rethrown after the records before it; a reopened device resumes without repeats', () => {
    const dev = new FakeDevice([r(1), r(2), err('EIO')])
    const reader = new KmsgReader(dev)
    const out: KmsgRecord[] = []
    assert.throws(() => reader.drain((x) => out.push(x)), (e: NodeJS.ErrnoException) => e.code === 'EIO')
    assert.deepEqual(seqs(out), ['1', '2'])
    // The reopened device starts again from the oldest record held.
    reader.replaceDevice(new FakeDevice([r(1), r(2), r(3)]))
    assert.deepEqual(seqs(drainAll(reader)), ['3'])
  })

  it('a reopened device whose oldest record is past lastSeq reports the gap', () => {
    const reader = new KmsgReader(new FakeDevice([r(1), err('EIO')]))
    assert.throws(() => drainAll(reader))
    reader.replaceDevice(new FakeDevice([r(7), r(8)]))
    assert.deepEqual(seqs(drainAll(reader)), ['lost:2-6', '7', '8'])
  })

  it('after: skips records up to it and reports a gap behind it', () => {
    assert.deepEqual(seqs(drainAll(new KmsgReader(new FakeDevice([r(3), r(4), r(5)]), {after: 4n}))), ['5'])
    assert.deepEqual(seqs(drainAll(new KmsgReader(new FakeDevice([r(9), r(10)]), {after: 4n}))), ['lost:5-8', '9', '10'])
  })

  it('a read that does not parse is reported and skipped', () => {
    const bad: string[] = []
    const out = drainAll(new KmsgReader(new FakeDevice([r(1), rec('garbage\n'), r(2)]), {onBadRecord: (e) => bad.push(e.message)}))
    assert.deepEqual(seqs(out), ['1', '2'])
    assert.deepEqual(bad, ['kmsg record: no ";" between header and text'])
  })

  it('a 0-byte read ends the drain as "eof"', () => {
    const reader = new KmsgReader(new FakeDevice([r(1), rec('')]))
    const out: KmsgRecord[] = []
    assert.equal(reader.drain((x) => out.push(x)), 'eof')
    assert.deepEqual(seqs(out), ['1'])
  })

  it('a 0-byte read while following is an error that leads to a reopen', async () => {
    const {f, retries, batches} = follower([new FakeDevice([r(1), rec('')], 3), new FakeDevice([r(1), r(2)], 4)])
    f.start()
    await sleep(30)
    assert.deepEqual(retries, ['EOF@5'])
    assert.deepEqual(batches, [['1'], ['2']])
    f.stop()
  })

  it('refuses a buffer below 8 KiB', () => {
    assert.throws(() => new KmsgReader(new FakeDevice([]), {bufferSize: 4096}), RangeError)
  })

  it('drainKmsg closes the device, also when reading fails', () => {
    const ok = new FakeDevice([r(1), r(2)])
    const got: KmsgRecord[] = []
    assert.equal(drainKmsg({open: () => ok}, (x) => got.push(x)), 2n)
    assert.equal(ok.closed, true)
    const failing = new FakeDevice([r(1), err('EIO')])
    assert.throws(() => drainKmsg({open: () => failing}, () => {}), (e: NodeJS.ErrnoException) => e.code === 'EIO')
    assert.equal(failing.closed, true)
  })
})

/** Drains scripted steps through the batch path; returns records (as seqs), the end, and the error thrown (its code). */
function viaBatches(steps: Step[], perBatch?: number, opts?: {bufferSize?: number}) {
  const dev = new FakeBatchDevice(steps, perBatch)
  const reader = new KmsgReader(dev, opts)
  const out: KmsgRecord[] = []
  let end: string | undefined
  let error: unknown
  try {
    end = reader.drain((x) => out.push(x))
  } catch (error_) {
    error = error_
  }
  return {out, seqs: seqs(out), end, error, dev, reader}
}

describe('KmsgReader over a batch device (kmsgDrain)', () => {
  it('reads all records in one batch, with the read buffer size as read size', () => {
    const {seqs: got, end, dev, reader} = viaBatches([r(1), r(2), r(3)])
    assert.deepEqual(got, ['1', '2', '3'])
    assert.equal(end, 'drained')
    assert.deepEqual(dev.readSizes, [16384])
    assert.equal(reader.lastSeq, 3n)
  })

  it('delivers the same records as the per-record path, field for field', () => {
    const steps = (): Step[] => [rec('6,1,100,-;a;b,c\n'), rec('12,2,200,c,caller=T1;frag\n SUBSYSTEM=pci\n DEVICE=+pci:0\n'), rec('3,3,300;old kernel\n'), r(4)]
    const single: KmsgRecord[] = []
    new KmsgReader(new FakeDevice(steps())).drain((x) => single.push(x))
    assert.deepEqual(viaBatches(steps()).out, single)
    assert.equal(single.length, 4)
  })

  it('EPIPE mid-batch: one lost record for the gap, then the rest', () => {
    const {out, seqs: got} = viaBatches([r(10), err('EPIPE'), r(15), r(16)])
    assert.deepEqual(got, ['10', 'lost:11-14', '15', '16'])
    assert.equal(out[1].text, 'diagkit kmsg: 4 records lost (seq 11-14): overwritten in the kernel ring before they were read')
    assert.equal(out[1].usec, 15000n)
  })

  it('EPIPE first in a batch: the range start is unknown', () => {
    assert.deepEqual(viaBatches([err('EPIPE'), r(500), r(501)]).seqs, ['lost:?-499', '500', '501'])
  })

  it('EPIPE after the last record of a batch is reported with the next batch\'s first record', () => {
    const dev = new FakeBatchDevice([r(1), err('EPIPE')])
    const reader = new KmsgReader(dev)
    assert.deepEqual(seqs(drainAll(reader)), ['1'])
    dev.push(r(5))
    assert.deepEqual(seqs(drainAll(reader)), ['lost:2-4', '5'])
  })

  it('a device error mid-batch is thrown after the records before it; a reopen resumes', () => {
    const {seqs: got, error, reader} = viaBatches([r(1), r(2), err('EIO'), r(3)])
    assert.deepEqual(got, ['1', '2'])
    assert.equal((error as NodeJS.ErrnoException).code, 'EIO')
    reader.replaceDevice(new FakeBatchDevice([r(1), r(2), r(3), r(4)]))
    assert.deepEqual(seqs(drainAll(reader)), ['3', '4'])
  })

  it('EINVAL mid-batch is the same clear KmsgReadError, after the records before it', () => {
    const {seqs: got, error} = viaBatches([r(1), rec(`6,2,3,-;${'x'.repeat(9000)}\n`)], undefined, {bufferSize: 8192})
    assert.deepEqual(got, ['1'])
    assert.ok(error instanceof KmsgReadError)
    assert.equal(error.code, 'EINVAL')
    assert.equal(error.message, 'read /fake/kmsg: EINVAL: a record did not fit the 8192-byte read buffer')
  })

  it('a 0-byte read ends the drain as "eof"', () => {
    const {seqs: got, end} = viaBatches([r(1), rec('')])
    assert.deepEqual([got, end], [['1'], 'eof'])
  })

  it('"more" (the batch cap) reads on in further batches', () => {
    const {seqs: got, end, dev} = viaBatches([r(1), r(2), err('EPIPE'), r(6), r(7), r(8)], 2)
    assert.deepEqual(got, ['1', '2', 'lost:3-5', '6', '7', '8'])
    assert.equal(end, 'drained')
    assert.equal(dev.batches, 3)
  })

  it('a record that does not parse is reported and skipped; after and seq gaps work as per record', () => {
    const bad: string[] = []
    const dev = new FakeBatchDevice([r(3), rec('garbage\n'), r(4), r(9)])
    const out = drainAll(new KmsgReader(dev, {after: 3n, onBadRecord: (e) => bad.push(e.message)}))
    assert.deepEqual(seqs(out), ['4', 'lost:5-8', '9'])
    assert.deepEqual(bad, ['kmsg record: no ";" between header and text'])
  })

  it('drainKmsg closes a batch device, also when reading fails', () => {
    const failing = new FakeBatchDevice([r(1), err('EIO')])
    const got: KmsgRecord[] = []
    assert.throws(() => drainKmsg({open: () => failing}, (x) => got.push(x)), (e: NodeJS.ErrnoException) => e.code === 'EIO')
    assert.deepEqual(seqs(got), ['1'])
    assert.equal(failing.closed, true)
  })
})

/** A watch driven by hand: fire() plays a readiness event. */
class FakeWatch implements Watch {
  starts = 0
  closed = false
  constructor(readonly onReady: (err: Error | undefined) => void) {}
  start(): void {
    this.starts++
  }
  stop(): void {}
  close(): void {
    this.closed = true
  }
  fire(e?: Error): void {
    this.onReady(e)
  }
}

function follower(devices: FakeDevice[], extra: Partial<ConstructorParameters<typeof KmsgFollower>[0]> = {}) {
  const batches: string[][] = []
  const watches: FakeWatch[] = []
  const retries: string[] = []
  const opened: FakeDevice[] = []
  const f = new KmsgFollower({
    onRecords: (rs) => batches.push(seqs(rs)),
    onRetry: (e, ms) => retries.push(`${(e as NodeJS.ErrnoException).code}@${ms}`),
    open: () => {
      const d = devices.shift()
      if (!d) throw Object.assign(new Error('no device'), {code: 'ENOENT'})
      opened.push(d)
      return d
    },
    watch: (_fd, cb) => {
      const w = new FakeWatch(cb)
      watches.push(w)
      return w
    },
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    ...extra,
  })
  return {f, batches, watches, retries, opened}
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))

describe('KmsgFollower with a fake device and watch', () => {
  it('drains what is held at start, then on each readiness event', async () => {
    const dev = new FakeDevice([r(1), r(2)], 99)
    const {f, batches, watches} = follower([dev])
    f.start()
    assert.deepEqual(batches, [['1', '2']])
    assert.equal(watches[0].starts, 1)
    dev.push(r(3), r(4))
    watches[0].fire()
    watches[0].fire() // nothing new: no empty batch
    assert.deepEqual(batches, [['1', '2'], ['3', '4']])
    f.stop()
    await f.done
    assert.equal(watches[0].closed, true)
    assert.equal(dev.closed, true)
  })

  it('--since-end: seeks to the end before the first read', () => {
    const dev = new FakeDevice([r(1)], 3)
    const {f, batches} = follower([dev], {sinceEnd: true})
    f.start()
    assert.equal(dev.seekedEnd, true)
    assert.deepEqual(batches, [])
    f.stop()
  })

  it('EIO: closes, reopens with growing backoff, resumes after the last seq', async () => {
    const first = new FakeDevice([r(1), r(2), err('EIO')], 3)
    const second = new FakeDevice([err('EIO')], 4)
    const third = new FakeDevice([r(1), r(2), r(3)], 5)
    const {f, batches, retries, watches, opened} = follower([first, second, third])
    f.start()
    assert.deepEqual(batches, [['1', '2']])
    assert.equal(first.closed, true)
    assert.equal(watches[0].closed, true)
    await sleep(60)
    assert.deepEqual(retries, ['EIO@5', 'EIO@10'])
    assert.equal(opened.length, 3)
    assert.deepEqual(batches, [['1', '2'], ['3']])
    assert.equal(f.lastSeq, 3n)
    f.stop()
    await f.done
    assert.equal(third.closed, true)
  })

  it('EINVAL stops the follower: done rejects, device closed', async () => {
    const dev = new FakeDevice([r(1), rec(`6,2,3,-;${'y'.repeat(17000)}\n`)], 3)
    const {f, batches, watches} = follower([dev])
    f.start()
    await assert.rejects(f.done, (e: unknown) => e instanceof KmsgReadError && e.code === 'EINVAL')
    assert.deepEqual(batches, [['1']])
    assert.equal(dev.closed, true)
    assert.equal(watches[0].closed, true)
  })

  it('a poll error (POLLERR on overwrite) drains and re-arms the watch', () => {
    const dev = new FakeDevice([r(1)], 3)
    const {f, batches, watches} = follower([dev])
    f.start()
    dev.push(err('EPIPE'), r(9))
    watches[0].fire(Object.assign(new Error('poll EBADF'), {code: 'EBADF'}))
    assert.deepEqual(batches, [['1'], ['lost:2-8', '9']])
    assert.equal(watches[0].starts, 2)
    f.stop()
  })

  it('poll errors with nothing to read twice in a row: reopen instead of spinning', async () => {
    const dev = new FakeDevice([], 3)
    const {f, retries, opened} = follower([dev, new FakeDevice([], 4)])
    f.start()
    const pe = Object.assign(new Error('poll EBADF'), {code: 'EBADF'})
    const w = (f as unknown as {watcher: FakeWatch}).watcher
    w.fire(pe)
    w.fire(pe)
    assert.deepEqual(retries, ['EBADF@5'])
    await sleep(30)
    assert.equal(opened.length, 2)
    f.stop()
  })

  it('start() throws when the device cannot be opened', () => {
    const {f} = follower([])
    assert.throws(() => f.start(), (e: NodeJS.ErrnoException) => e.code === 'ENOENT')
  })

  it('permission lost on reopen is final', async () => {
    const first = new FakeDevice([r(1), err('EIO')], 3)
    let n = 0
    const {f} = follower([], {
      open: () => {
        if (n++ === 0) return first
        throw Object.assign(new Error('open EACCES'), {code: 'EACCES'})
      },
    })
    f.start()
    await assert.rejects(f.done, (e: NodeJS.ErrnoException) => e.code === 'EACCES')
  })
})
