// The real CLI against a real memlogd (and a LinuxKit-like stand-in), on real files.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {safeFileName} from '../../src/logwrite/index.js'
import {cli, dump, type RunningDaemon, startMemlogd, tempDir, waitFor} from '../helpers/memlogd.js'
import {pushLines, startLogwrite} from './helpers.js'

const cleanups: Array<() => Promise<unknown> | void> = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function daemon(dir?: string): Promise<RunningDaemon> {
  const d = await startMemlogd([], dir ? {dir} : {})
  cleanups.push(() => d.stop())
  return d
}

function logDir(): string {
  const d = tempDir('dk-lw-cli-')
  cleanups.push(() => fs.rmSync(d, {recursive: true, force: true}))
  return d
}

function fileText(dir: string, source: string): string {
  const p = path.join(dir, `${safeFileName(source)}.log`)
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : ''
}

/** The message part of each line of a log file ("<time> <source> <msg>"). */
function msgs(dir: string, source: string): string[] {
  const prefix = ` ${source} `
  return fileText(dir, source).split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(prefix) + prefix.length))
}

function range(prefix: string, from: number, to: number): string[] {
  return Array.from({length: to - from}, (_, i) => `${prefix}${from + i}`)
}

async function waitLines(dir: string, source: string, n: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => msgs(dir, source).length >= n, timeoutMs, `${n} lines in ${source}.log (have ${msgs(dir, source).length})`)
}

describe('logwrite against diagkit memlogd', () => {
  it('writes each entry as "<time> <source> <msg>", escaped, to its own safe file; skips its own messages', async () => {
    const m = await daemon()
    const dir = logDir()
    await pushLines(m.logSock, 'svc', ['hello', 'tab\there', 'logwrite[99]: a message of a logwrite', 'last'])
    await pushLines(m.logSock, '../evil/name', ['x'])
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', dir], cleanups)
    await waitLines(dir, 'svc', 3)
    await waitLines(dir, '../evil/name', 1)
    const entries = (await dump(m.querySock)).filter((e) => e.source === 'svc')
    assert.equal(fileText(dir, 'svc'), [0, 1, 3].map((i) => `${entries[i].time} svc ${['hello', 'tab\\x09here', '', 'last'][i]}\n`).join(''))
    assert.ok(fs.existsSync(path.join(dir, '%2E.%2Fevil%2Fname.log')))
    assert.equal((await lw.stop()).code, 0)
    assert.equal(lw.stderr(), '')
  })

  it('restarts without a duplicate or a gap (SIGTERM exits 0, lines sent meanwhile are written once)', async () => {
    const m = await daemon()
    const dir = logDir()
    const args = ['--socket', m.querySock, '--log-dir', dir, '--max-log-size', '100000']
    let lw = startLogwrite(args, cleanups)
    await pushLines(m.logSock, 'r', range('a', 0, 50))
    await waitLines(dir, 'r', 50)
    assert.equal((await lw.stop()).code, 0)
    await pushLines(m.logSock, 'r', range('b', 0, 30))
    lw = startLogwrite(args, cleanups)
    await pushLines(m.logSock, 'r', range('c', 0, 20))
    await waitLines(dir, 'r', 100)
    assert.equal((await lw.stop()).code, 0)
    lw = startLogwrite(args, cleanups) // and once more with nothing new
    await new Promise((r) => setTimeout(r, 700))
    assert.equal((await lw.stop()).code, 0)
    assert.deepEqual(msgs(dir, 'r'), [...range('a', 0, 50), ...range('b', 0, 30), ...range('c', 0, 20)])
  })

  it('survives memlogd being killed and restarted: no busy loop, picks up the new ring', async () => {
    const sockDir = tempDir('dk-lw-m-')
    cleanups.push(() => fs.rmSync(sockDir, {recursive: true, force: true}))
    let m = await startMemlogd([], {dir: sockDir})
    const dir = logDir()
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', dir], cleanups)
    await pushLines(m.logSock, 'k', range('old', 0, 10))
    await waitLines(dir, 'k', 10)
    m.proc.kill('SIGKILL')
    await m.stop()
    fs.rmSync(m.logSock, {force: true})
    fs.rmSync(m.querySock, {force: true})
    // While memlogd is away logwrite waits with backoff: it must not spin.
    const cpu = () => fs.readFileSync(`/proc/${lw.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0)
    const before = cpu()
    await new Promise((r) => setTimeout(r, 2000))
    const ticks = cpu() - before
    assert.ok(ticks < 40, `logwrite used ${ticks} clock ticks in 2 s while memlogd was down`)
    m = await startMemlogd([], {dir: sockDir})
    cleanups.push(() => m.stop())
    await pushLines(m.logSock, 'k', range('new', 0, 10))
    await waitLines(dir, 'k', 20)
    await waitFor(() => msgs(dir, 'memlogd').length >= 2, 10_000, 'both daemons\' start entries')
    assert.equal((await lw.stop()).code, 0)
    assert.deepEqual(msgs(dir, 'k'), [...range('old', 0, 10), ...range('new', 0, 10)])
    assert.equal(msgs(dir, 'memlogd').filter((x) => x.startsWith('memlogd started')).length, 2)
    assert.match(lw.stderr(), /memlogd restarted \(instance \w+ -> \w+\): writing its ring from the start/)
  })

  it('SIGHUP reopens files; an external delete is noticed', async () => {
    const m = await daemon()
    const dir = logDir()
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', dir], cleanups)
    await pushLines(m.logSock, 'h', ['one'])
    await waitLines(dir, 'h', 1)
    fs.renameSync(path.join(dir, 'h.log'), path.join(dir, 'h.moved'))
    lw.proc.kill('SIGHUP')
    await new Promise((r) => setTimeout(r, 200))
    await pushLines(m.logSock, 'h', ['two'])
    await waitLines(dir, 'h', 1)
    assert.deepEqual(msgs(dir, 'h'), ['two'])
    fs.unlinkSync(path.join(dir, 'h.log'))
    await new Promise((r) => setTimeout(r, 1200))
    await pushLines(m.logSock, 'h', ['three'])
    await waitLines(dir, 'h', 1)
    assert.deepEqual(msgs(dir, 'h'), ['three'])
    assert.equal((await lw.stop()).code, 0)
  })
})

/** A stand-in for LinuxKit's memlogd: no seq, no resume; unknown mode bytes close the connection. */
function fakeLinuxkit(sockPath: string, ring: object[], unknownMode: 'close' | 'error-entry' = 'close') {
  const followers = new Set<net.Socket>()
  const modes: number[] = []
  const server = net.createServer((c) => {
    c.once('data', (d) => {
      modes.push(d[0])
      if (d[0] > 2) {
        if (unknownMode === 'close') c.destroy()
        else c.end(JSON.stringify({time: '2026-12-03T10:00:00Z', source: 'memlogd', msg: `invalid query mode byte ${d[0]}`}) + '\n')
        return
      }
      if (d[0] !== 1) c.write(ring.map((e) => JSON.stringify(e) + '\n').join(''))
      if (d[0] === 0) c.end()
      else followers.add(c)
    })
    c.on('error', () => undefined)
    c.on('close', () => followers.delete(c))
  })
  server.listen(sockPath)
  return {
    modes,
    add(e: object) {
      ring.push(e)
      for (const f of followers) f.write(JSON.stringify(e) + '\n')
    },
    close: () => new Promise<void>((r) => {
      for (const f of followers) f.destroy()
      server.close(() => r())
    }),
  }
}

describe('logwrite against a LinuxKit memlogd (no resume, no seq)', () => {
  it('falls back to dump+follow and a time cursor: restart writes nothing twice, misses nothing', async () => {
    const sockDir = tempDir('dk-lw-lk-')
    cleanups.push(() => fs.rmSync(sockDir, {recursive: true, force: true}))
    const sock = path.join(sockDir, 'q.sock')
    const t = (s: number, frac = '') => `2026-12-03T10:00:${String(s).padStart(2, '0')}${frac}Z`
    // Several entries share one time (a daemon stamps a whole read with one time).
    const ring = [
      {time: t(1), source: 'lk', msg: 'e0'},
      {time: t(2, '.5'), source: 'lk', msg: 'e1'},
      {time: t(2, '.5'), source: 'lk', msg: 'e2'},
    ]
    const fake = fakeLinuxkit(sock, ring)
    cleanups.push(() => fake.close())
    const dir = logDir()
    let lw = startLogwrite(['--socket', sock, '--log-dir', dir], cleanups)
    await waitLines(dir, 'lk', 3)
    assert.equal((await lw.stop()).code, 0)
    assert.match(lw.stderr(), /has no resume mode \(LinuxKit\?\): using dump\+follow and a time-based cursor/)
    fake.add({time: t(2, '.500000000'), source: 'lk', msg: 'e3'}) // same instant, written differently
    fake.add({time: t(3), source: 'lk', msg: 'e4'})
    lw = startLogwrite(['--socket', sock, '--log-dir', dir], cleanups)
    await waitLines(dir, 'lk', 5)
    fake.add({time: t(4), source: 'lk', msg: 'e5'})
    await waitLines(dir, 'lk', 6)
    assert.equal((await lw.stop()).code, 0)
    assert.deepEqual(msgs(dir, 'lk'), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'])
    assert.deepEqual(fake.modes.filter((x) => x <= 2), [2, 2])
    assert.ok(fake.modes.filter((x) => x === 0x52).length >= 2, 'resume was tried first')
  })

  it('also falls back when the daemon answers an unknown mode with an error entry (which is not written)', async () => {
    const sockDir = tempDir('dk-lw-lk-')
    cleanups.push(() => fs.rmSync(sockDir, {recursive: true, force: true}))
    const sock = path.join(sockDir, 'q.sock')
    const fake = fakeLinuxkit(sock, [{time: '2026-12-03T10:00:01Z', source: 'lk2', msg: 'only'}], 'error-entry')
    cleanups.push(() => fake.close())
    const dir = logDir()
    const lw = startLogwrite(['--socket', sock, '--log-dir', dir], cleanups)
    await waitLines(dir, 'lk2', 1)
    assert.equal((await lw.stop()).code, 0)
    assert.deepEqual(msgs(dir, 'lk2'), ['only'])
    assert.equal(fs.existsSync(path.join(dir, 'memlogd.log')), false)
  })
})

describe('logwrite flags and setup errors', () => {
  it('refuses bad values with exit 2 and one line', async () => {
    const dir = logDir()
    const file = path.join(dir, 'plain-file')
    fs.writeFileSync(file, '')
    for (const [args, pattern] of [
      [['--max-log-files', '0'], /max-log-files/],
      [['--max-log-size', '0'], /max-log-size/],
      [['--max-log-size', 'big'], /max-log-size|integer/],
      [['--log-dir', file, '--socket', path.join(dir, 'none.sock')], new RegExp(`--log-dir ${file} is not a directory`)],
    ] as Array<[string[], RegExp]>) {
      const r = await cli(['logwrite', ...args], {timeoutMs: 10_000})
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, pattern)
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
    }
  })

  it('without memlogd: says so once, retries quietly, SIGTERM exits 0', async () => {
    const dir = logDir()
    const lw = startLogwrite(['--socket', path.join(dir, 'absent.sock'), '--log-dir', dir], cleanups)
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal((await lw.stop()).code, 0)
    const lines = lw.stderr().split('\n').filter((l) => l !== '')
    assert.equal(lines.length, 1, lw.stderr())
    assert.match(lines[0], /^logwrite\[\d+\]: cannot connect to memlogd at .*absent\.sock \(retrying\): ENOENT/)
  })
})
