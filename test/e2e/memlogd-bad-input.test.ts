// memlogd against every bad input of issue 2 on the log socket, end to end:
// a real daemon, the independent Python sender (test/fixtures/send_fds.py),
// and reads back over the query socket and through `diagkit logread`. Each test
// checks the exact entries or note, that the daemon still runs and that a
// well-behaved source sending afterwards (or at the same time) loses nothing.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {ROOT, type Entry, type RunningDaemon, cli, dump, pySend, queryRaw, startMemlogd, tempDir, waitFor, waitForEntries} from '../helpers/memlogd.js'
import {assertHealthy, concurrentSource, msgsOf, notesMatching, openFdCount, rssKiB, utf8AsLatin1} from './memlogd-support.js'

interface FramingCase {
  id: string
  writes: string[]
  expect_msgs: string[]
  max_line_len?: number
}

const CASES = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/field-cases.json'), 'utf8')) as Array<FramingCase & {source?: string; msg?: string}>
const REFUSED = 'only pipes, FIFOs, stream sockets and regular files are read'

let d: RunningDaemon
/** The daemon's open fds once warmed up (sockets, spare fds of the receiver), no stream open. */
let baselineFds = 0

before(async () => {
  d = await startMemlogd(['--max-lines', '100000', '--max-bytes', '64MiB'])
  await assertHealthy(d, 'start')
  await waitFor(() => {
    const now = openFdCount(d.proc.pid!)
    const stable = now === baselineFds
    baselineFds = now
    return stable
  }, 10_000, 'a stable fd count')
})

after(async () => {
  assert.equal(await d.stop(), 0)
})

/** Entries of one source once n of them are in. */
function entriesOf(source: string, n: number): Promise<Entry[]> {
  return waitForEntries(d.querySock, (e) => e.source === source, n, 10_000)
}

/** The one note mentioning `needle`, checked to be exactly `msg`. */
async function assertNote(needle: string, msg: string): Promise<void> {
  const notes = await waitForNotes(needle, 1)
  assert.deepEqual(msgsOf(notes), [msg])
}

async function waitForNotes(needle: string, n: number): Promise<Entry[]> {
  await waitForEntries(d.querySock, (e) => e.source === 'memlogd' && e.msg.includes(needle), n, 10_000)
  return notesMatching(d.querySock, needle)
}

describe('datagrams', () => {
  it('a datagram with no fd is a note, not an entry', async () => {
    const other = concurrentSource(d, 'nofd-neighbour', 5000)
    const r = await pySend(d.logSock, 'nofd-src', 'nofd')
    assert.equal(r.code, 0, r.stderr)
    await assertNote('"nofd-src"', 'ignored datagram for "nofd-src" carried no fd')
    assert.deepEqual(await dump(d.querySock).then((es) => es.filter((e) => e.source === 'nofd-src')), [])
    await other.done()
    await assertHealthy(d, 'nofd')
  })

  it('16 fds in one datagram are 16 streams under the same name', async () => {
    const r = await pySend(d.logSock, 'multi-src', 'many', '16')
    assert.equal(r.code, 0, r.stderr)
    const got = await entriesOf('multi-src', 16)
    assert.deepEqual(msgsOf(got).sort(), Array.from({length: 16}, (_, i) => `line from fd ${i}`).sort())
    await assertHealthy(d, 'multi')
  })

  it('20 fds in one datagram (more than the control buffer takes): all closed, a note, senders see EPIPE', async () => {
    const other = concurrentSource(d, 'ovf-neighbour', 5000)
    const r = await pySend(d.logSock, 'ovf-src', 'overflow', '20')
    assert.equal(r.code, 0, r.stderr)
    // Every write end saw its reader go (POLLERR), and writing then failed with EPIPE.
    assert.equal(r.stdout, 'sent\nclosed 20 epipe 20\n')
    await assertNote('"ovf-src"', 'ignored datagram for "ovf-src" carried more fds than the 16 accepted; closed its 16 fd(s)')
    assert.deepEqual((await dump(d.querySock)).filter((e) => e.source === 'ovf-src'), [])
    await other.done()
    await assertHealthy(d, 'ovf')
  })
  it('a datagram longer than the 4096-byte receive buffer (MSG_TRUNC): its fd closed, a note', async () => {
    const name = 'T'.repeat(4097)
    const r = await pySend(d.logSock, name, 'overflow', '1')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'sent\nclosed 1 epipe 1\n')
    await assertNote('"TTTT', `ignored datagram longer than the receive buffer (name starts "${'T'.repeat(40)}"); closed its 1 fd(s)`)
    assert.equal((await dump(d.querySock)).some((e) => e.source.startsWith('TTT')), false)
    await assertHealthy(d, 'trunc')
  })
})

describe('source names', () => {
  it('a 600-byte ASCII name is cut to 255 bytes with a note; the stream is read', async () => {
    const long = 'n'.repeat(599) + 'Z'
    const cut = 'n'.repeat(255)
    const r = await pySend(d.logSock, long, 'pipe', undefined, ['first\n', 'second\n'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf(cut, 2)), ['first', 'second'])
    await assertNote(`"${cut}"`, `source name of 600 bytes cut to 255 bytes: "${cut}"`)
    await assertHealthy(d, 'long-ascii')
  })

  it('a 600-byte UTF-8 name is cut on a character boundary (254 bytes here)', async () => {
    const long = 'ab' + '€'.repeat(199) + 'z'
    assert.equal(Buffer.byteLength(long), 600)
    // Byte 255 falls inside the 85th "€" (bytes 254-256): the cut steps back to 254.
    const cut = 'ab' + '€'.repeat(84)
    const r = await pySend(d.logSock, long, 'pipe', undefined, ['euro\n'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf(cut, 1)), ['euro'])
    await assertNote(`"${cut}"`, `source name of 600 bytes cut to 254 bytes: "${cut}"`)
    assert.equal((await dump(d.querySock)).some((e) => e.source.includes('\ufffd')), false)
  })

  it('names with NUL, newline, ESC, ";" and "\\": exact in JSON, escaped in logread text', async () => {
    const t1 = CASES.find((c) => c.id === 'T1')!
    const names: Array<[raw: Buffer, json: string, text: string]> = [
      [Buffer.from('emb\0ed'), 'emb\u0000ed', 'emb\\x00ed'],
      [Buffer.from('trail\0\0'), 'trail', 'trail'],
      [Buffer.from('new\nline'), 'new\nline', 'new\\x0aline'],
      [Buffer.from('esc\x1b[31mred'), 'esc\u001b[31mred', 'esc\\x1b[31mred'],
      [Buffer.from('semi;colon'), 'semi;colon', 'semi\\;colon'],
      [Buffer.from('back\\slash'), 'back\\slash', 'back\\\\slash'],
      [Buffer.alloc(0), '', ''],
      [Buffer.from([0, 0]), '', ''],
      // T1: a forged second logread line through the name.
      [Buffer.from(t1.source!), t1.source!, 'svc\\x0a2024-01-01T00:00:00Z\\;root\\;FORGED'],
    ]
    for (const [i, [raw]] of names.entries()) {
      const r = await pySend(d.logSock, raw, 'pipe', undefined, [`name-test ${i}\n`])
      assert.equal(r.code, 0, r.stderr)
    }
    const got = await waitForEntries(d.querySock, (e) => e.msg.startsWith('name-test '), names.length, 10_000)
    const bySeq = got.sort((a, b) => Number(a.msg.slice(10)) - Number(b.msg.slice(10)))
    assert.deepEqual(bySeq.map((e) => e.source), names.map(([, json]) => json))
    // The raw bytes on the wire escape the NUL, newline and ESC.
    const raw = (await queryRaw(d.querySock, [0])).toString('utf8')
    assert.ok(raw.includes('"source":"emb\\u0000ed","msg":"name-test 0"'), 'NUL escaped as \\u0000')
    assert.ok(raw.includes('"source":"new\\nline","msg":"name-test 2"'))
    assert.ok(raw.includes('"source":"esc\\u001b[31mred","msg":"name-test 3"'))
    const lr = await cli(['logread', '--socket', d.querySock])
    assert.equal(lr.code, 0, lr.stderr)
    const lines = lr.stdout.split('\n')
    for (const [i, [, , text]] of names.entries()) {
      const e = bySeq[i]
      const want = `${e.time};${text};name-test ${i}`
      assert.ok(lines.includes(want), `logread shows ${JSON.stringify(want)}`)
      assert.equal(lines.filter((l) => l.endsWith(`;name-test ${i}`)).length, 1)
    }
    // T1: the forged timestamp never starts a line of its own.
    assert.equal(lines.some((l) => l.startsWith('2024-01-01T00:00:00Z')), false)
    await assertHealthy(d, 'names')
  })
})

describe('fd types', () => {
  it('a regular file is read to EOF', async () => {
    const dir = tempDir('dk-file-')
    const file = path.join(dir, 'in.txt')
    const lines = Array.from({length: 20_000}, (_, i) => `file line ${i}`)
    // CRLF endings and a last line without newline, across many 64 KiB reads.
    fs.writeFileSync(file, lines.join('\r\n'))
    const r = await pySend(d.logSock, 'file-src', 'file', file)
    assert.equal(r.code, 0, r.stderr)
    const got = await entriesOf('file-src', lines.length)
    assert.deepEqual(msgsOf(got), lines)
    fs.rmSync(dir, {recursive: true})
    await assertHealthy(d, 'file')
  })

  for (const [kind, type] of [['devnull', 'chardev'], ['dir', 'directory'], ['dgram', 'dgram-socket']] as const) {
    it(`${kind === 'devnull' ? '/dev/null' : kind === 'dir' ? 'a directory' : 'a datagram socket'} is refused with a note`, async () => {
      const other = concurrentSource(d, `${kind}-neighbour`, 3000)
      const name = `${kind}-src`
      const r = await pySend(d.logSock, name, kind)
      assert.equal(r.code, 0, r.stderr)
      await assertNote(`"${name}"`, `refused fd of type ${type} for "${name}": ${REFUSED}`)
      assert.deepEqual((await dump(d.querySock)).filter((e) => e.source === name), [])
      await other.done()
      await assertHealthy(d, kind)
    })
  }
})

describe('fds that cannot be read', () => {
  it('a pipe\'s write end: closed with a note naming the source', async () => {
    const r = await pySend(d.logSock, 'wend-src', 'writeend')
    assert.equal(r.code, 0, r.stderr)
    const [note] = await waitForNotes('"wend-src"', 1)
    assert.match(note.msg, /^reading the fd for "wend-src" failed: E[A-Z]+; closed it$/)
    await assertHealthy(d, 'wend')
  })

  it('a regular file opened write-only: closed with a note naming the source', async () => {
    const dir = tempDir('dk-wo-')
    fs.writeFileSync(path.join(dir, 'wo.txt'), 'not for reading\n')
    const r = await pySend(d.logSock, 'wo-src', 'wofile', path.join(dir, 'wo.txt'))
    assert.equal(r.code, 0, r.stderr)
    await assertNote('"wo-src"', 'reading the fd for "wo-src" failed: EBADF; closed it')
    fs.rmSync(dir, {recursive: true})
    await assertHealthy(d, 'wo')
  })

  it('a SOCK_SEQPACKET socket is refused with a note', async () => {
    const r = await pySend(d.logSock, 'seq-src', 'seqpacket')
    assert.equal(r.code, 0, r.stderr)
    await assertNote('"seq-src"', `refused fd of type seqpacket-socket for "seq-src": ${REFUSED}`)
  })

  it('no bad input so far left an fd open in the daemon', async () => {
    await waitFor(() => openFdCount(d.proc.pid!) <= baselineFds, 10_000, `fd count back to ${baselineFds} (now ${openFdCount(d.proc.pid!)})`)
  })

  // Known fault: fdType() reports a listening socket as 'stream-socket', so the
  // daemon "reads" it, which never returns: the fd is held until someone
  // connects to that socket. Needs SO_ACCEPTCONN in the native fdType.
  it('a listening stream socket is refused, not held', async () => {
    const dir = tempDir('dk-lis-')
    const r = await pySend(d.logSock, 'lis-src', 'listener', path.join(dir, 'lis.sock'))
    assert.equal(r.code, 0, r.stderr)
    try {
      // A refusal is immediate; 2 s is plenty.
      const [note] = await waitForEntries(d.querySock, (e) => e.source === 'memlogd' && e.msg.includes('"lis-src"'), 1, 2000)
      assert.equal(note.msg, `refused fd of type listening-socket for "lis-src": ${REFUSED}`)
    } finally {
      fs.rmSync(dir, {recursive: true})
    }
  })
})

describe('line contents', () => {
  it('invalid UTF-8: each invalid byte becomes U+FFFD (Go rule)', async () => {
    const chunks = [
      '\xe2\x82A\n', // truncated 3-byte sequence, then ASCII
      '\xff\n',
      '\xc0\xaf\n', // overlong "/"
      '\xed\xa0\x80\n', // UTF-16 surrogate
      utf8AsLatin1('ok €😀\n'), // valid multi-byte stays
      'x\xf0\x9f\x98\n', // 4-byte sequence cut short at the line end
      '\x80\xbf\xf8\xf5\n', // lone continuations and never-valid lead bytes
    ]
    const r = await pySend(d.logSock, 'utf8-src', 'pipe', undefined, chunks)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf('utf8-src', chunks.length)), [
      '\ufffd\ufffdA',
      '\ufffd',
      '\ufffd\ufffd',
      '\ufffd\ufffd\ufffd',
      'ok €😀',
      'x\ufffd\ufffd\ufffd',
      '\ufffd\ufffd\ufffd\ufffd',
    ])
    await assertHealthy(d, 'utf8')
  })

  it('NUL bytes stay in the text (JSON \\u0000)', async () => {
    const r = await pySend(d.logSock, 'nul-src', 'pipe', undefined, ['\0lead\n', 'mid\0dle\0\n', '\0\n'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf('nul-src', 3)), ['\0lead', 'mid\0dle\0', '\0'])
    const raw = (await queryRaw(d.querySock, [0])).toString('utf8')
    assert.ok(raw.includes('"source":"nul-src","msg":"mid\\u0000dle\\u0000"'))
    await assertHealthy(d, 'nul')
  })

  for (const c of CASES.filter((x) => x.id.startsWith('F'))) {
    it(`framing case ${c.id} through a pipe, one write per chunk`, async () => {
      assert.equal(c.max_line_len ?? 1024, 1024, 'the shared daemon runs with the default --max-line-len')
      const name = `case-${c.id}`
      const r = await pySend(d.logSock, name, 'pipe', undefined, c.writes.map(utf8AsLatin1))
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(msgsOf(await entriesOf(name, c.expect_msgs.length)), c.expect_msgs)
    })
  }

  it('framing case F1 through a stream socketpair (CR and LF in separate writes)', async () => {
    const f1 = CASES.find((c) => c.id === 'F1')!
    const r = await pySend(d.logSock, 'case-F1-sp', 'socketpair', undefined, f1.writes)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf('case-F1-sp', f1.expect_msgs.length)), f1.expect_msgs)
  })

  it('CR at the very end of a stream stays in the text; CRLF split over many writes is one line end', async () => {
    const r = await pySend(d.logSock, 'cr-src', 'pipe', undefined, ['one\r', '\n', 'two', '\r', '\n', 'three\r'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(msgsOf(await entriesOf('cr-src', 3)), ['one', 'two', 'three\r'])
    await assertHealthy(d, 'cr')
  })
})

describe('a 10 MiB line without newline', () => {
  let m: RunningDaemon
  before(async () => {
    // Its own daemon, so other tests' traffic does not blur the RSS figures.
    m = await startMemlogd()
  })
  after(async () => {
    assert.equal(await m.stop(), 0)
  })

  it('keeps its first 1024 bytes, drops the rest, and the RSS stays bounded', async () => {
    // Warm up the read path once, then measure.
    await pySend(m.logSock, 'warm', 'pipe', undefined, ['w\n'])
    await waitForEntries(m.querySock, (e) => e.source === 'warm', 1, 10_000)
    const pid = m.proc.pid!
    const before = rssKiB(pid)
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(pid))
    }, 5)
    const other = concurrentSource(m, 'big-neighbour', 2000)
    const r = await pySend(m.logSock, 'big', 'bigline', String(10 * 1024 * 1024))
    const got = await waitForEntries(m.querySock, (e) => e.source === 'big', 2, 20_000)
    clearInterval(sampler)
    peak = Math.max(peak, rssKiB(pid))
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'sent\nwrote\n')
    const pattern = Buffer.from(Array.from({length: 1024}, (_, i) => 97 + (i % 26))).toString('latin1')
    assert.deepEqual(msgsOf(got), [pattern, 'after'])
    const growthMiB = (peak - before) / 1024
    assert.ok(growthMiB < 8, `RSS grew by ${growthMiB.toFixed(1)} MiB for a 10 MiB line (before ${before} KiB, peak ${peak} KiB)`)
    await other.done()
    await assertHealthy(m, 'bigline')
  })
})

