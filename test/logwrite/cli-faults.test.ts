// Faults a hostile tester found in the CLI, each against the real binary (and a
// real memlogd where it matters): state files that are not logwrite's, floods
// of error messages, SIGTERM during start-up, sizes with units, empty paths,
// and a really full disk.

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {classifyRecord, encodeCursor} from '../../src/logwrite/index.js'
import {acceptAndClose, cli, dump, type RunningDaemon, startMemlogd, tempDir, waitFor} from '../helpers/memlogd.js'
import {pushLines, startLogwrite} from './helpers.js'

const cleanups: Array<() => Promise<unknown> | void> = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

function scratch(prefix = 'dk-lwf-'): string {
  const d = tempDir(prefix)
  cleanups.push(() => fs.rmSync(d, {recursive: true, force: true}))
  return d
}

async function daemon(extra: string[] = []): Promise<RunningDaemon> {
  const d = await startMemlogd(extra)
  cleanups.push(() => d.stop())
  return d
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The cursor logwrite saved (or undefined). */
function savedSeq(file: string): number | undefined {
  try {
    return classifyRecord(fs.readFileSync(file)).cursor?.seq
  } catch {
    return undefined
  }
}

async function lastSeq(querySock: string): Promise<number> {
  return (await dump(querySock)).at(-1)!.seq!
}

function oneLine(stderr: string, expected: string): void {
  assert.equal(stderr, `diagkit logwrite: ${expected}\n`)
}

describe('logwrite --state-file', () => {
  it('refuses an existing file that is not its cursor, leaving it untouched (exit 2, one line)', async () => {
    const d = scratch()
    const f = path.join(d, 'precious')
    fs.writeFileSync(f, 'precious data\n')
    const r = await cli(['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', path.join(d, 'logs'), '--state-file', f], {timeoutMs: 10_000})
    assert.equal(r.code, 2)
    oneLine(r.stderr, `--state-file ${f} exists and is not a logwrite cursor; remove it or choose another path`)
    assert.equal(fs.readFileSync(f, 'utf8'), 'precious data\n')
    // The default state file gets the same protection, named as the default.
    const logs = path.join(d, 'logs2')
    fs.mkdirSync(logs)
    fs.writeFileSync(path.join(logs, '.logwrite-cursor'), '')
    const r2 = await cli(['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', logs], {timeoutMs: 10_000})
    assert.equal(r2.code, 2)
    oneLine(r2.stderr, `state file ${logs}/.logwrite-cursor (the default --state-file) exists and is not a logwrite cursor; remove it or choose another path`)
    assert.equal(fs.readFileSync(path.join(logs, '.logwrite-cursor'), 'utf8'), '')
  })

  it('refuses at start-up a state file it cannot use: a directory, a missing directory, no permission, a log file name', async () => {
    const d = scratch()
    fs.chmodSync(d, 0o755)
    const logs = path.join(d, 'logs')
    fs.mkdirSync(logs, {mode: 0o755})
    const locked = path.join(d, 'locked')
    fs.mkdirSync(locked, {mode: 0o755})
    const theirs = path.join(d, 'root-only')
    fs.writeFileSync(theirs, encodeCursor({instance: 'i', seq: 1, time: '', sameTime: 0}), {mode: 0o600})
    const cases: Array<[string[], string, {uid?: number}]> = [
      [['--state-file', d], `--state-file ${d} is a directory; choose a file path`, {}],
      [['--state-file', path.join(d, 'missing/dir/cursor')], `cannot create --state-file ${d}/missing/dir/cursor: directory ${d}/missing/dir does not exist`, {}],
      [['--state-file', path.join(logs, 'x.log')], `--state-file ${logs}/x.log is in --log-dir and named like a log file; choose another name`, {}],
    ]
    if (process.getuid?.() === 0) {
      cases.push(
        [['--state-file', path.join(locked, 'cursor')], `cannot create --state-file ${locked}/cursor: EACCES (permission denied)`, {uid: 65534}],
        [['--state-file', theirs], `cannot open --state-file ${theirs} for reading and writing: EACCES (permission denied)`, {uid: 65534}],
      )
    }
    for (const [args, message, opts] of cases) {
      const r = await cli(['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', logs, ...args], {timeoutMs: 10_000, ...opts, ...(opts.uid ? {gid: 65534} : {})})
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      oneLine(r.stderr, message)
    }
    assert.deepEqual(fs.readdirSync(locked), [])
    // A --log-dir where nothing can be created holds no default state file either.
    const r = await cli(['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', '/proc/1'], {timeoutMs: 10_000})
    assert.equal(r.code, 2, r.stderr)
    oneLine(r.stderr, 'cannot create state file /proc/1/.logwrite-cursor (the default --state-file): ENOENT (no such file or directory)')
  })

  it('saves a documented 512-byte record naming memlogd instance and seq; a restart resumes from it', async () => {
    const m = await daemon()
    const d = scratch()
    const state = path.join(d, 'cursor')
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', path.join(d, 'logs'), '--state-file', state], cleanups)
    await pushLines(m.logSock, 'svc', ['a', 'b', 'c'])
    const last = await waitForConsumed(m.querySock, state)
    assert.deepEqual(await lw.stop(), {code: 0, signal: null})
    const entries = await dump(m.querySock)
    // The instance is memlogd's id (checked by the restart below: a wrong one would write the ring again).
    const instance = /^\{"logwrite-cursor":1,"instance":"([0-9a-z]+)",/.exec(fs.readFileSync(state, 'utf8'))?.[1]
    assert.ok(instance)
    const time = entries.at(-1)!.time
    const expected = JSON.stringify({'logwrite-cursor': 1, instance, seq: last, time, sameTime: entries.filter((e) => e.time === time).length})
    const bytes = fs.readFileSync(state)
    assert.equal(bytes.toString(), expected + ' '.repeat(511 - expected.length) + '\n')
    assert.equal(lw.stderr(), '')
    // A restart writes what came meanwhile, once.
    await pushLines(m.logSock, 'svc', ['d'])
    const lw2 = startLogwrite(['--socket', m.querySock, '--log-dir', path.join(d, 'logs'), '--state-file', state], cleanups)
    await waitForConsumed(m.querySock, state)
    assert.deepEqual(await lw2.stop(), {code: 0, signal: null})
    const msgs = fs.readFileSync(path.join(d, 'logs', 'svc.log'), 'utf8').split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(' svc ') + 5))
    assert.deepEqual(msgs, ['a', 'b', 'c', 'd'])
  })
})

/** Waits until the saved cursor covers everything memlogd holds now; returns that seq. */
async function waitForConsumed(querySock: string, state: string, timeoutMs = 15_000): Promise<number> {
  const last = await lastSeq(querySock)
  await waitFor(() => (savedSeq(state) ?? 0) >= last, timeoutMs, `cursor at seq ${last} (have ${savedSeq(state)})`)
  return last
}

describe('logwrite error messages', () => {
  it('a --log-dir where nothing can be written, with ~1,500 sources: at most 10 lines a window, one summary, a bounded exit', async () => {
    const m = await daemon(['--max-lines', '10000'])
    const sources = 1500
    for (let i = 0; i < sources; i++) await pushLines(m.logSock, `src${i}`, [`line of ${i}`])
    const names = new Set((await dump(m.querySock)).map((e) => e.source))
    assert.equal(names.size, sources + 1) // and memlogd's own
    const d = scratch()
    const state = path.join(d, 'cursor')
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', '/proc/1', '--state-file', state], cleanups)
    await waitForConsumed(m.querySock, state)
    await sleep(3000)
    const during = lw.stderr().split('\n').filter((l) => l !== '')
    assert.equal(during.length, 10, lw.stderr())
    for (const l of during) assert.match(l, /^logwrite\[\d+\]: cannot open \/proc\/1\/[\w%.]+\.log: E[A-Z]+ \([a-z ]+\)$/)
    assert.deepEqual(await lw.stop(), {code: 0, signal: null})
    const exit = lw.stderr().split('\n').filter((l) => l !== '').slice(10)
    // The window's summary, ten files with their counts (the first ten were told
    // when their open failed, before their line was counted), one line for all the others.
    assert.equal(exit.length, 12, lw.stderr())
    assert.match(exit[0], new RegExp(`^logwrite\\[\\d+\\]: \\d+ more write errors in the last 10 s \\(${names.size - 10} files\\)$`))
    for (const l of exit.slice(1, 11)) assert.match(l, /^logwrite\[\d+\]: cannot open \/proc\/1\/[\w%.]+\.log: E[A-Z]+ \([a-z ]+\); 1 line not written$/)
    const rest = names.size - 10
    assert.equal(exit[11].replace(/^logwrite\[\d+\]: /, ''), `and ${rest} more files with ${rest} lines not written`)
  })
})

describe('logwrite against a socket that accepts and closes at once', () => {
  it('keeps retrying with one-line reports, never crashes, and exits 0 on SIGTERM', async () => {
    const d = scratch()
    const sock = path.join(d, 'closer.sock')
    const peer = await acceptAndClose(sock)
    cleanups.push(() => peer.close())
    const lw = startLogwrite(['--socket', sock, '--log-dir', path.join(d, 'logs')], cleanups)
    await waitFor(() => lw.stderr().includes('closed the connection at once'), 10_000)
    await sleep(1500) // several reconnects
    assert.equal(lw.proc.exitCode, null, `still running: ${lw.stderr()}`)
    assert.deepEqual(await lw.stop(), {code: 0, signal: null})
    const lines = lw.stderr().trimEnd().split('\n')
    for (const l of lines) assert.match(l, /^logwrite\[\d+\]: /, 'its own one-line reports only')
    assert.doesNotMatch(lw.stderr(), /Unhandled|node:|\n\s+at /)
    assert.match(lw.stderr(), /cannot connect to memlogd at .* \(retrying\): (EPIPE|ECONNRESET) \(it closed the connection at once \(is this memlogd's query socket\?\)\)/)
  })
})

describe('logwrite and SIGTERM during start-up', () => {
  /** True once logwrite's own handlers are in: Node itself never catches SIGHUP, logwrite installs it with SIGTERM and SIGINT. */
  function handlersIn(pid: number): boolean {
    try {
      const m = /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
      return m !== null && (BigInt(`0x${m[1]}`) & 1n) === 1n
    } catch {
      return false
    }
  }

  it('exits 0 on SIGTERM (and SIGINT) at any moment once its code runs: before flags are parsed, while connecting, right after', async () => {
    const m = await daemon()
    const d = scratch()
    const outcomes: string[] = []
    for (const [delay, sig] of [[0, 'SIGTERM'], [0, 'SIGTERM'], [0, 'SIGINT'], [5, 'SIGTERM'], [20, 'SIGTERM'], [50, 'SIGTERM'], [50, 'SIGINT']] as Array<[number, NodeJS.Signals]>) {
      const lw = startLogwrite(['--socket', m.querySock, '--log-dir', path.join(d, 'logs'), '--state-file', path.join(d, 'cursor')], cleanups)
      const t0 = Date.now()
      while (!handlersIn(lw.proc.pid!) && Date.now() - t0 < 10_000) await new Promise((r) => setImmediate(r))
      if (delay > 0) await sleep(delay)
      lw.proc.kill(sig)
      const out = await lw.stop()
      outcomes.push(`${delay}ms ${sig}: ${out.code ?? out.signal}`)
      assert.deepEqual(out, {code: 0, signal: null}, `${delay} ms after its handlers were in, ${sig}: ${lw.stderr()}`)
      assert.doesNotMatch(lw.stderr(), /Error|at /)
    }
  })

  it('sent as soon as the process has spawned, and ~50 ms later: exits 0 whenever logwrite had its handlers in', async () => {
    const d = scratch()
    const results: string[] = []
    for (let round = 0; round < 6; round++) {
      for (const delay of [0, 50]) {
        const lw = startLogwrite(['--socket', path.join(d, 'none.sock'), '--log-dir', path.join(d, 'logs'), '--state-file', path.join(d, 'cursor')], cleanups)
        await new Promise((r) => lw.proc.once('spawn', r))
        if (delay > 0) await sleep(delay)
        const inBefore = handlersIn(lw.proc.pid!)
        lw.proc.kill('SIGTERM')
        const out = await lw.stop()
        results.push(`${delay}ms: ${inBefore ? 'in' : 'not yet'} -> ${out.code ?? out.signal}`)
        if (inBefore) assert.deepEqual(out, {code: 0, signal: null}, results.join('\n'))
        // Before logwrite's code runs (Node starting, oclif loading) the kernel's default action applies.
        else assert.ok(out.code === 0 || out.signal === 'SIGTERM', results.join('\n'))
      }
    }
  })
})

describe('logwrite --max-log-size', () => {
  it('accepts sizes with units and rotates at that many bytes', async () => {
    const m = await daemon()
    const d = scratch()
    const logs = path.join(d, 'logs')
    const state = path.join(d, 'cursor')
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', logs, '--state-file', state, '--max-log-size', '1k', '--max-log-files', '3'], cleanups)
    const lines = Array.from({length: 40}, (_, i) => `line ${String(i).padStart(2, '0')} ${'.'.repeat(50)}`)
    await pushLines(m.logSock, 'u', lines)
    await waitForConsumed(m.querySock, state)
    assert.deepEqual(await lw.stop(), {code: 0, signal: null})
    assert.deepEqual(fs.readdirSync(logs).filter((n) => n.startsWith('u.')).sort(), ['u.log', 'u.log.0', 'u.log.1'])
    const sizes = ['u.log.1', 'u.log.0', 'u.log'].map((n) => fs.statSync(path.join(logs, n)).size)
    for (const s of sizes) assert.ok(s <= 1024, `${sizes}`)
    // Every rotated file was filled as far as whole lines go below 1024 bytes.
    const lineBytes = fs.readFileSync(path.join(logs, 'u.log'), 'utf8').split('\n')[0].length + 1
    assert.equal(sizes[0], Math.floor(1024 / lineBytes) * lineBytes)
    for (const size of ['10M', '10MiB', '10m', '512K', '512kib', '1G', '1gib', '1048576', '1TiB']) {
      const lw2 = startLogwrite(['--socket', m.querySock, '--log-dir', logs, '--state-file', state, '--max-log-size', size], cleanups)
      await sleep(400)
      assert.deepEqual(await lw2.stop(), {code: 0, signal: null}, `${size}: ${lw2.stderr()}`)
      assert.equal(lw2.stderr(), '', size)
    }
  })

  it('refuses 0, negative, non-numbers and more than 1 TiB with one line and exit 2', async () => {
    const d = scratch()
    for (const [value, message] of [
      ['0', '--max-log-size: must be at least 1 bytes, got "0"'],
      ['0M', '--max-log-size: must be at least 1 bytes, got "0M"'],
      ['-1', '--max-log-size: expected a size such as 16MiB, 64M, 512k or 1048576, got "-1"'],
      ['-5M', '--max-log-size: expected a size such as 16MiB, 64M, 512k or 1048576, got "-5M"'],
      ['big', '--max-log-size: expected a size such as 16MiB, 64M, 512k or 1048576, got "big"'],
      ['10X', '--max-log-size: expected a size such as 16MiB, 64M, 512k or 1048576, got "10X"'],
      ['', '--max-log-size: expected a size such as 16MiB, 64M, 512k or 1048576, got ""'],
      ['1025G', '--max-log-size: must be at most 1099511627776 bytes, got "1025G"'],
      ['99999999999999999999', '--max-log-size: must be at most 1099511627776 bytes, got "99999999999999999999"'],
    ]) {
      const r = await cli(['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', path.join(d, 'logs'), `--max-log-size=${value}`], {timeoutMs: 10_000})
      assert.equal(r.code, 2, `${value}: ${r.stderr}`)
      oneLine(r.stderr, message)
    }
  })
})

describe('logwrite with empty paths', () => {
  it('refuses --log-dir, --socket and --state-file given as "" (exit 2), writing nothing into the current directory', async () => {
    const cwd = scratch()
    const d = scratch()
    for (const flag of ['--log-dir', '--socket', '--state-file']) {
      const args = ['logwrite', '--socket', path.join(d, 'none.sock'), '--log-dir', path.join(d, 'logs'), '--state-file', path.join(d, 'cursor')]
      args[args.indexOf(flag) + 1] = ''
      const r = await cli(args, {timeoutMs: 10_000, cwd})
      assert.equal(r.code, 2, `${flag}: ${r.stderr}`)
      oneLine(r.stderr, `${flag}: must not be empty`)
      assert.deepEqual(fs.readdirSync(cwd), [])
    }
  })
})

describe('logwrite on a really full disk', () => {
  it('counts and reports the lines it could not write, writes again when space returns, and says how many were lost', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs')
    const m = await daemon()
    const d = scratch()
    const mnt = path.join(d, 'mnt')
    fs.mkdirSync(mnt)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], {stdio: 'pipe'})
    } catch (error) {
      return t.skip(`mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`)
    }
    cleanups.push(() => {
      execFileSync('umount', ['-l', mnt])
    })
    const state = path.join(mnt, '.logwrite-cursor')
    const lw = startLogwrite(['--socket', m.querySock, '--log-dir', mnt], cleanups)
    await waitFor(() => fs.existsSync(state), 10_000, 'state file')
    fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(200 * 1024))
    const first = Array.from({length: 2000}, (_, i) => `full ${String(i).padStart(4, '0')} ${'.'.repeat(90)}`)
    await pushLines(m.logSock, 'big', first)
    await waitForConsumed(m.querySock, state)
    const kept = fs.readFileSync(path.join(mnt, 'big.log'), 'utf8').split('\n').slice(0, -1)
    assert.ok(kept.length > 0 && kept.length < 2000, `${kept.length} lines fit`)
    assert.deepEqual(kept.map((l) => l.slice(l.indexOf(' big ') + 5)), first.slice(0, kept.length))
    await waitFor(() => /cannot write .*\/big\.log: ENOSPC \(no space left on device\); \d+ lines? not written/.test(lw.stderr()), 5000, 'the ENOSPC report')
    fs.unlinkSync(path.join(mnt, 'filler'))
    await pushLines(m.logSock, 'big', ['after 1', 'after 2'])
    await waitForConsumed(m.querySock, state)
    const now = fs.readFileSync(path.join(mnt, 'big.log'), 'utf8').split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(' big ') + 5))
    assert.deepEqual(now, [...first.slice(0, kept.length), 'after 1', 'after 2'])
    assert.deepEqual(await lw.stop(), {code: 0, signal: null})
    // Told with the episode's total at exit at the latest (within 10 s of the failure line, it waits its turn).
    const lost = 2000 - kept.length
    assert.match(lw.stderr(), new RegExp(`writing ${mnt}/big\\.log again; ${lost} lines could not be written meanwhile\\n`))
    const told = [...lw.stderr().matchAll(/big\.log: ENOSPC \(no space left on device\); (\d+) lines? not written/g)].map((x) => Number(x[1]))
    assert.ok(told.length >= 1 && told.reduce((a, b) => a + b, 0) <= lost, `${told} of ${lost}`)
  })
})
