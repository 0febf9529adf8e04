import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {
  DatagramReceiver, type Datagram, bindUnix, closeQuietly, connectUnix, fdType, kmsgDrain, listenFd, startKmsgReadAhead, type KmsgBatch, lseek, monotonic,
  peerCred, realtime, sendFds, socketPair, unixSocket,
} from '../../src/native/index.js'
import {tempDir} from '../helpers/memlogd.js'

const dir = tempDir('dk-native-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))

/** Receives datagrams on a fresh bound socket until `n` arrived. */
async function receive(sender: (path: string) => void, n = 1, maxFds = 4): Promise<Datagram[]> {
  const sockPath = path.join(dir, `r${Math.random().toString(16).slice(2)}.sock`)
  const fd = unixSocket('dgram')
  bindUnix(fd, sockPath)
  const got: Datagram[] = []
  const r = new DatagramReceiver(fd, maxFds, {
    datagram: (d) => got.push(d),
    error: (e) => assert.fail(e),
    fdLimit: (e) => assert.fail(e),
  })
  r.start()
  try {
    sender(sockPath)
    const deadline = Date.now() + 5000
    while (got.length < n && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5))
    return got
  } finally {
    r.close()
    closeQuietly(fd)
  }
}

function send(sockPath: string, name: string, fds: number[]): void {
  const s = unixSocket('dgram')
  try {
    connectUnix(s, sockPath)
    sendFds(s, Buffer.from(name), fds)
  } finally {
    closeQuietly(s)
  }
}

describe('native addon', () => {
  it('tells fd types apart', () => {
    const [a, b] = socketPair()
    const d = unixSocket('dgram')
    const file = fs.openSync(path.join(dir, 'f'), 'w')
    const directory = fs.openSync(dir, 'r')
    const nul = fs.openSync('/dev/null', 'r')
    const listener = unixSocket('stream')
    bindUnix(listener, path.join(dir, 'l.sock'))
    try {
      assert.equal(fdType(a), 'stream-socket')
      assert.equal(fdType(d), 'dgram-socket')
      assert.equal(fdType(file), 'file')
      assert.equal(fdType(directory), 'directory')
      assert.equal(fdType(nul), 'chardev')
      assert.equal(fdType(listener), 'stream-socket') // bound, not yet listening
      listenFd(listener)
      assert.equal(fdType(listener), 'listening-socket')
    } finally {
      for (const fd of [a, b, d, file, directory, nul, listener]) closeQuietly(fd)
    }
  })

  it('reports errors as Node-style errors with the errno name', () => {
    const s = unixSocket('dgram')
    try {
      assert.throws(() => connectUnix(s, path.join(dir, 'nobody.sock')), {code: 'ENOENT', syscall: 'connect'})
      assert.throws(() => bindUnix(s, '/' + 'x'.repeat(200)), {code: 'ENAMETOOLONG'})
      assert.throws(() => fdType(987_654), {code: 'EBADF', syscall: 'fstat'})
    } finally {
      closeQuietly(s)
    }
  })

  it('gives the peer credentials of a socketpair end: our own pid', () => {
    const [a, b] = socketPair()
    try {
      assert.deepEqual(peerCred(a), {pid: process.pid, uid: process.getuid!(), gid: process.getgid!()})
    } finally {
      closeQuietly(a)
      closeQuietly(b)
    }
  })

  it('seeks within a file', () => {
    const p = path.join(dir, 'seek')
    fs.writeFileSync(p, 'hello world')
    const fd = fs.openSync(p, 'r')
    try {
      assert.equal(lseek(fd, 0, 'end'), 11)
      assert.equal(lseek(fd, 6, 'set'), 6)
      const buf = Buffer.alloc(5)
      fs.readSync(fd, buf, 0, 5, null)
      assert.equal(buf.toString(), 'world')
    } finally {
      closeQuietly(fd)
    }
  })

  it('passes an fd with its name over a datagram, and the fd works on the other side', async () => {
    const [mine, theirs] = socketPair()
    const got = await receive((p) => send(p, 'svc.out', [theirs]))
    closeQuietly(theirs)
    assert.equal(got.length, 1)
    assert.equal(got[0].name.toString(), 'svc.out')
    assert.equal(got[0].fds.length, 1)
    assert.equal(got[0].truncated, false)
    assert.equal(got[0].controlTruncated, false)
    fs.writeSync(mine, 'ping')
    const buf = Buffer.alloc(4)
    assert.equal(fs.readSync(got[0].fds[0], buf), 4)
    assert.equal(buf.toString(), 'ping')
    closeQuietly(mine)
    closeQuietly(got[0].fds[0])
  })

  it('reports more fds than it takes as control-truncated, and delivers a datagram without fds', async () => {
    const pairs = Array.from({length: 6}, () => socketPair())
    const got = await receive((p) => {
      send(p, 'many', pairs.map(([, b]) => b))
      send(p, 'none', [])
    }, 2, 4)
    for (const [a, b] of pairs) {
      closeQuietly(a)
      closeQuietly(b)
    }
    assert.equal(got[0].name.toString(), 'many')
    assert.equal(got[0].controlTruncated, true)
    assert.ok(got[0].fds.length <= 4)
    for (const fd of got[0].fds) closeQuietly(fd)
    assert.equal(got[1].name.toString(), 'none')
    assert.deepEqual(got[1].fds, [])
  })

  it('reads clocks with nanoseconds', () => {
    const [rs, rns] = realtime()
    assert.ok(Math.abs(rs * 1000 + rns / 1e6 - Date.now()) < 1000)
    const [ms] = monotonic()
    assert.ok(Math.abs(ms - Number(process.hrtime.bigint() / 1_000_000_000n)) <= 1)
  })

  /**
   * A FIFO stands in for /dev/kmsg: non-blocking reads, EAGAIN when empty
   * (with a writer), 0 bytes without one. Gives the read end and write end.
   */
  function withFifo(name: string, use: (r: number, w: number) => void): void {
    const fifo = path.join(dir, name)
    execFileSync('mkfifo', [fifo])
    const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const w = fs.openSync(fifo, fs.constants.O_WRONLY)
    try {
      use(r, w)
    } finally {
      closeQuietly(w)
      fs.closeSync(r)
    }
  }

  it('kmsgDrain reads chunks of readSize until EAGAIN, then reports a 0-byte read as eof', () => {
    withFifo('drain.fifo', (r, w) => {
      fs.writeSync(w, 'aaaabbbbcc')
      const b = kmsgDrain(r, 4)
      assert.equal(b.data.toString(), 'aaaabbbbcc')
      assert.deepEqual([...b.ends], [4, 8, 10])
      assert.deepEqual(b.epipe, [])
      assert.equal(b.end, 'drained')
      assert.equal(b.error, undefined)
      const empty = kmsgDrain(r, 4)
      assert.deepEqual([empty.data.length, empty.ends.length, empty.end], [0, 0, 'drained'])
      fs.writeSync(w, 'xy')
      fs.closeSync(w)
      const last = kmsgDrain(r, 4)
      assert.deepEqual([last.data.toString(), [...last.ends], last.end], ['xy', [2], 'eof'])
    })
  })

  it('kmsgDrain grows its buffer past its first reservation (a 600 KB file)', () => {
    const file = path.join(dir, 'big.bin')
    const content = Buffer.alloc(600_000)
    for (let i = 0; i < content.length; i++) content[i] = i % 251
    fs.writeFileSync(file, content)
    const fd = fs.openSync(file, 'r')
    try {
      const b = kmsgDrain(fd, 8192)
      assert.ok(b.data.equals(content))
      assert.equal(b.ends.length, Math.ceil(600_000 / 8192))
      assert.equal(b.ends[0], 8192)
      assert.equal(b.ends.at(-1), 600_000)
      assert.equal(b.end, 'eof')
    } finally {
      fs.closeSync(fd)
    }
  })

  it('kmsgDrain returns a read error in the batch, and throws on a bad read size', () => {
    const b = kmsgDrain(987_654, 8192)
    assert.deepEqual([b.data.length, b.ends.length, b.end], [0, 0, 'error'])
    assert.equal(b.error?.code, 'EBADF')
    assert.equal(b.error?.syscall, 'read')
    assert.throws(() => kmsgDrain(0, 0), {code: 'EINVAL'})
    assert.throws(() => kmsgDrain(0, -5), {code: 'EINVAL'})
  })

  /** Every chunk a read-ahead gives, up to and including the last. */
  function readAll(fd: number, readSize: number): KmsgBatch[] {
    const ahead = startKmsgReadAhead(fd, readSize)
    try {
      const chunks: KmsgBatch[] = []
      for (;;) {
        const {batch, last} = ahead.next()
        chunks.push(batch)
        if (last) return chunks
        assert.equal(batch.end, 'more', 'every chunk but the last says more follows')
      }
    } finally {
      ahead.close()
    }
  }

  it('startKmsgReadAhead gives, in growing chunks, what kmsgDrain would (a 600 KB file, then a FIFO)', () => {
    const file = path.join(dir, 'ahead.bin')
    const content = Buffer.alloc(600_000)
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 253
    fs.writeFileSync(file, content)
    const fd = fs.openSync(file, 'r')
    try {
      const chunks = readAll(fd, 100) // 6,000 "records"
      assert.ok(Buffer.concat(chunks.map((c) => c.data)).equals(content))
      // Offsets are per chunk; 16 records first, then up to 3 times more each time, at most 512.
      assert.deepEqual(chunks.map((c) => c.ends.length).slice(0, 6), [16, 48, 144, 432, 512, 512])
      assert.equal(chunks.reduce((n, c) => n + c.ends.length, 0), 6000)
      assert.equal(chunks[1].ends[0], 100)
      assert.equal(chunks.at(-1)!.end, 'eof')
    } finally {
      fs.closeSync(fd)
    }

    withFifo('ahead.fifo', (r, w) => {
      fs.writeSync(w, 'aaaabbbbcc')
      const [only] = readAll(r, 4)
      assert.deepEqual([only.data.toString(), [...only.ends], only.end], ['aaaabbbbcc', [4, 8, 10], 'drained'])
      fs.closeSync(w)
      const [eof] = readAll(r, 4)
      assert.deepEqual([eof.data.length, eof.end], [0, 'eof'])
    })
  })

  it('startKmsgReadAhead stops at 64 MiB with "more" in its last chunk; another one goes on from there', () => {
    const file = path.join(dir, 'ahead-cap.bin')
    fs.writeFileSync(file, Buffer.alloc(70 << 20, 1))
    const fd = fs.openSync(file, 'r')
    try {
      const first = readAll(fd, 1 << 20)
      assert.deepEqual(first.map((c) => c.ends.length), [16, 48])
      assert.equal(first.at(-1)!.end, 'more')
      const rest = readAll(fd, 1 << 20)
      assert.deepEqual([rest.map((c) => c.ends.length), rest.at(-1)!.end], [[6], 'eof'])
    } finally {
      fs.closeSync(fd)
      fs.rmSync(file)
    }
  })

  it('startKmsgReadAhead: a read error ends it in its last chunk; a bad size throws; close() mid-way waits for the thread', () => {
    const [bad] = readAll(987_654, 8192)
    assert.deepEqual([bad.data.length, bad.end, bad.error?.code], [0, 'error', 'EBADF'])
    assert.throws(() => startKmsgReadAhead(0, 0), RangeError)

    const file = path.join(dir, 'ahead-close.bin')
    fs.writeFileSync(file, Buffer.alloc(4 << 20))
    const fd = fs.openSync(file, 'r')
    const ahead = startKmsgReadAhead(fd, 1) // millions of 1-byte reads: still running when closed
    assert.equal(ahead.next().batch.ends.length, 16)
    ahead.close()
    fs.closeSync(fd) // safe: the thread is gone, it no longer reads fd
    assert.throws(() => fs.fstatSync(fd), {code: 'EBADF'})
  })
})
