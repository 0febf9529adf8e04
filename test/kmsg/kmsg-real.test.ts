// Against the real /dev/kmsg: root writes unique markers into the kernel log
// and finds them with the library, `--dump` and follow mode.
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {currentBootId, dumpKmsg} from '../../src/kmsg/index.js'
import {BIN, ROOT, canRead, waitFor} from './helpers.js'

const isRoot = process.getuid?.() === 0
const SKIP = !isRoot ? 'needs root to write markers into /dev/kmsg' : !canRead() ? '/dev/kmsg cannot be opened here' : false

/** Writes one record the way `echo "<prio>text" > /dev/kmsg` does (own open: own rate-limit state). */
function writeKmsg(text: string, prio = 6): void {
  fs.writeFileSync('/dev/kmsg', `<${prio}>${text}\n`)
}

function cli(args: string[], opts: {uid?: number} = {}) {
  const env = {...process.env, HOME: os.tmpdir(), NO_COLOR: '1'}
  return spawnSync(process.execPath, [BIN, ...args], {cwd: ROOT, encoding: 'utf8', timeout: 20_000, env, ...opts})
}

/** oclif wraps error text and prefixes "›": one plain line to match against. */
const flat = (s: string) => s.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')

const LK_LINE = /^\((\d+)\) - (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z): (.*)$/

const children: ChildProcess[] = []
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

/** Spawns a follower and collects its lines from one stream. */
function follow(args: string[], stream: 'stderr' | 'stdout') {
  const child = spawn(process.execPath, [BIN, 'kmsg', ...args], {cwd: ROOT, env: {...process.env, HOME: os.tmpdir()}, stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  const lines: string[] = []
  let other = ''
  let buf = ''
  child[stream]!.setEncoding('utf8').on('data', (d: string) => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
  child[stream === 'stderr' ? 'stdout' : 'stderr']!.setEncoding('utf8').on('data', (d: string) => (other += d))
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
  return {child, lines, other: () => other, exited}
}

describe('real /dev/kmsg', {skip: SKIP}, () => {
  it('dumpKmsg finds a marker written just now, as user.info', async () => {
    const marker = `diagkit-test-${randomUUID()}`
    writeKmsg(marker)
    const recs = await dumpKmsg()
    const found = recs.filter((r) => r.text === marker)
    assert.equal(found.length, 1)
    assert.deepEqual([found[0].facility, found[0].level], [1, 6]) // the kernel forces LOG_USER on userspace records
    // Seqs come in order, one record per read.
    for (let i = 1; i < recs.length; i++) assert.ok(recs[i].seq > recs[i - 1].seq)
  })

  it('dumpKmsg rejects with ENOENT for a missing device', async () => {
    await assert.rejects(dumpKmsg({device: '/dev/no-such-kmsg'}), (e: NodeJS.ErrnoException) => e.code === 'ENOENT')
  })

  it('--dump prints the marker in LinuxKit form with the right seq and a current time', async () => {
    const marker = `diagkit-dump-${randomUUID()}`
    writeKmsg(marker)
    const seq = (await dumpKmsg()).find((r) => r.text === marker)!.seq
    const res = cli(['kmsg', '--dump'])
    assert.equal(res.status, 0, res.stderr)
    const lines = res.stdout.trimEnd().split('\n')
    assert.ok(lines.every((l) => LK_LINE.test(l)), 'every line is "(seq) - time: text"')
    const line = lines.find((l) => l.endsWith(`: ${marker}`))!
    const m = LK_LINE.exec(line)!
    assert.equal(m[1], String(seq))
    assert.ok(Math.abs(Date.parse(m[2]) - Date.now()) < 10_000, `time ${m[2]} is now`)
    assert.equal(res.stderr, '')
  })

  it('--dump into a pipe nobody reads for a while: every line arrives, then exit 0', async () => {
    const marker = `diagkit-slow-reader-${randomUUID()}`
    writeKmsg(marker)
    const expected = (await dumpKmsg()).length
    // A pipe(2) holds 64 KiB, a full ring's dump is more: the dump's write is
    // still pending when the command is done with everything else.
    const script = `"${process.execPath}" "${BIN}" kmsg --dump | (sleep 0.7; cat); echo "exit \${PIPESTATUS[0]}"`
    const res = spawnSync('bash', ['-c', script], {cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: {...process.env, HOME: os.tmpdir()}})
    const lines = res.stdout.trimEnd().split('\n')
    assert.equal(lines.pop(), 'exit 0', res.stderr)
    assert.ok(res.stdout.length > 65_536, 'more than a pipe holds')
    assert.ok(lines.length >= expected, `${lines.length} lines for ${expected} records`)
    assert.ok(lines.every((l) => LK_LINE.test(l)), 'whole lines only')
    assert.ok(lines.some((l) => l.endsWith(`: ${marker}`)))
  })

  it('--dump output that cannot be written: one line and exit 1; nothing saved in --state; a failing stderr does not matter', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-kmsg-out-'))
    const sh = (script: string) => spawnSync('bash', ['-c', script], {cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: {...process.env, HOME: os.tmpdir()}})
    const run = `"${process.execPath}" "${BIN}" kmsg --dump`
    try {
      const full = sh(`${run} --state "${dir}/s1" > /dev/full`)
      assert.equal(full.status, 1)
      assert.equal(full.stderr, 'diagkit kmsg: cannot write to stdout: ENOSPC (no space left on device)\n')
      assert.ok(!fs.existsSync(path.join(dir, 's1')), 'no state for records nobody got')
      const badFd = sh(`${run} 1</etc/hostname`)
      assert.equal(badFd.status, 1)
      assert.equal(badFd.stderr, 'diagkit kmsg: cannot write to stdout: EBADF (bad file descriptor)\n')
      const head = sh(`${run} --state "${dir}/s2" | head -1; echo "exit \${PIPESTATUS[0]}"`)
      assert.match(head.stdout, /^\(\d+\) - .*\nexit 0\n$/)
      assert.equal(head.stderr, '')
      assert.ok(!fs.existsSync(path.join(dir, 's2')), 'the reader left early: nothing marked as written')
      // Through a pipe read late, so that the output is still queued when the dump is done.
      const held = (await dumpKmsg()).length
      const noStderr = sh(`${run} 2>/dev/full | (sleep 0.5; cat); echo "exit \${PIPESTATUS[0]}"`)
      const lines = noStderr.stdout.trimEnd().split('\n')
      assert.equal(lines.pop(), 'exit 0')
      assert.ok(lines.length > held - 50, `${lines.length} lines for about ${held} records`)
      assert.ok(lines.every((l) => LK_LINE.test(l)), 'whole lines only')
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('--dump onto a disk that fills up: exit 1 naming ENOSPC, --state not moved past what was written', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-kmsg-full-'))
    const mnt = path.join(dir, 'mnt')
    fs.mkdirSync(mnt)
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mnt]).status !== 0) {
      fs.rmSync(dir, {recursive: true, force: true})
      return t.skip('cannot mount a tmpfs here')
    }
    try {
      // Node's own stdout write would take the first 16 KiB and drop the rest without a word.
      const res = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" kmsg --dump --state "${dir}/state" > "${mnt}/out.txt"`], {cwd: ROOT, encoding: 'utf8', timeout: 20_000})
      assert.equal(res.status, 1)
      assert.equal(res.stderr, 'diagkit kmsg: cannot write to stdout: ENOSPC (no space left on device)\n')
      assert.ok(!fs.existsSync(path.join(dir, 'state')))
    } finally {
      spawnSync('umount', [mnt])
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('--dump --json: one object per record with seq as a string; escapes kept in lines, decoded in JSON', async () => {
    const marker = `diagkit-json-${randomUUID()}`
    writeKmsg(`${marker}\tTAB`, 30) // daemon.info; the kernel escapes the tab as \x09
    const json = cli(['kmsg', '--dump', '--json'])
    assert.equal(json.status, 0, json.stderr)
    const objs = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    const o = objs.find((x) => typeof x.text === 'string' && x.text.startsWith(marker))
    assert.equal(o.text, `${marker}\tTAB`)
    assert.deepEqual([typeof o.seq, o.facility, o.level, o.flags, typeof o.usec], ['string', 3, 6, '-', 'number'])
    assert.deepEqual(Object.keys(o), ['seq', 'time', 'usec', 'facility', 'level', 'flags', 'text', 'dict'])
    const lines = cli(['kmsg', '--dump']).stdout
    assert.ok(lines.includes(`: ${marker}\\x09TAB\n`))
  })

  it('--level / --facility filter; --human prints dmesg-style', () => {
    const id = randomUUID()
    writeKmsg(`diagkit-err-${id}`, 11) // user.err
    writeKmsg(`diagkit-info-${id}`, 14) // user.info
    const res = cli(['kmsg', '--dump', '--human', '--level', 'err', '--facility', 'user'])
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, new RegExp(`^\\[ {0,4}\\d+\\.\\d{6}\\] diagkit-err-${id}$`, 'm'))
    assert.ok(!res.stdout.includes(`diagkit-info-${id}`))
    for (const l of res.stdout.trimEnd().split('\n')) assert.match(l, /^\[ *\d+\.\d{6}\] /)
  })

  it('--state: a second dump prints only records after the first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmsg-real-'))
    const state = path.join(dir, 'kmsg.state')
    const first = cli(['kmsg', '--dump', '--state', state])
    assert.equal(first.status, 0, first.stderr)
    const saved = JSON.parse(fs.readFileSync(state, 'utf8'))
    const lastLine = first.stdout.trimEnd().split('\n').at(-1)!
    assert.deepEqual(saved, {bootId: currentBootId(), seq: LK_LINE.exec(lastLine)![1]})
    const marker = `diagkit-state-${randomUUID()}`
    writeKmsg(marker)
    const second = cli(['kmsg', '--dump', '--state', state])
    const lines = second.stdout.trimEnd().split('\n')
    assert.ok(lines.every((l) => BigInt(LK_LINE.exec(l)![1]) > BigInt(saved.seq)), 'nothing repeated')
    assert.ok(lines.some((l) => l.endsWith(`: ${marker}`)))
    const third = cli(['kmsg', '--dump', '--state', state])
    assert.ok(!third.stdout.includes(marker))
  })

  it('follow mode (default, stderr) picks up a new marker and stops cleanly on SIGTERM', async () => {
    const f = follow([], 'stderr')
    const marker = `diagkit-follow-${randomUUID()}`
    let n = 0
    await waitFor('the held records', () => f.lines.length > 0)
    await waitFor('the marker', () => f.lines.some((l) => l.includes(`: ${marker}-`)), () => writeKmsg(`${marker}-${++n}`))
    assert.ok(f.lines.every((l) => LK_LINE.test(l)))
    assert.equal(f.other(), '') // nothing on stdout
    f.child.kill('SIGTERM')
    assert.equal(await f.exited, 0)
  })

  it('--since-end --stdout prints only records written after start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmsg-real-'))
    const state = path.join(dir, 's')
    const f = follow(['--since-end', '--stdout', '--state', state], 'stdout')
    const marker = `diagkit-end-${randomUUID()}`
    await waitFor('a marker', () => f.lines.length > 0, () => writeKmsg(marker))
    await new Promise((r) => setTimeout(r, 200))
    f.child.kill('SIGINT')
    assert.equal(await f.exited, 0)
    // Only our markers (and whatever the kernel logged meanwhile) — none of the old ring, all in order.
    const seqs = f.lines.map((l) => BigInt(LK_LINE.exec(l)![1]))
    assert.ok(f.lines[0].endsWith(`: ${marker}`), f.lines[0])
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1])
    assert.equal(JSON.parse(fs.readFileSync(state, 'utf8')).seq, String(seqs.at(-1)))
  })
})

describe('kmsg CLI errors', () => {
  it('missing device: exit 1 and a one-line message', () => {
    const res = cli(['kmsg', '--dump', '--device', '/dev/no-such-kmsg'])
    assert.equal(res.status, 1)
    assert.match(flat(res.stderr), /cannot read \/dev\/no-such-kmsg: no such device \(ENOENT\)/)
    assert.ok(!res.stderr.includes('    at '), 'no stack trace')
  })

  it('checks a path before it opens it: a FIFO is refused without being opened', async () => {
    // Opening some devices does something (a watchdog starts counting); a
    // FIFO shows an open: the writer waiting on it would go on.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-kmsg-fifo-'))
    const fifo = path.join(dir, 'fifo')
    spawnSync('mkfifo', [fifo])
    const writer = spawn('sh', ['-c', `echo x > "${fifo}"`])
    children.push(writer)
    try {
      const res = cli(['kmsg', '--dump', '--device', fifo])
      assert.equal(res.status, 1)
      assert.match(res.stderr, /not the kernel log device/)
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.equal(writer.exitCode, null, 'the writer still waits: nobody opened the FIFO')
    } finally {
      writer.kill('SIGKILL')
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a device that is not the kernel log (/dev/zero, a file, a directory): exit 1, one line, no endless read', () => {
    for (const device of ['/dev/zero', '/etc/hostname', '/tmp']) {
      const res = cli(['kmsg', '--dump', '--device', device])
      assert.equal(res.status, 1, device)
      assert.equal(res.stderr, `diagkit kmsg: cannot read ${device}: not the kernel log device (expected character device 1:11, like /dev/kmsg)\n`)
      assert.equal(res.stdout, '')
    }
  })

  it('no permission (non-root, dmesg_restrict): exit 1 with a hint', (t) => {
    if (!isRoot) return t.skip('needs root to start a child as nobody')
    if (fs.readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() !== '1') return t.skip('kernel.dmesg_restrict is 0: nobody may read the log')
    const res = cli(['kmsg', '--dump'], {uid: 65534})
    assert.equal(res.status, 1, res.stderr)
    assert.match(flat(res.stderr), /cannot read \/dev\/kmsg: permission denied \(EPERM\); run as root or with CAP_SYSLOG \(kernel\.dmesg_restrict = 1/)
  })

  const usage: Array<[string[], RegExp]> = [
    [['--level', 'loud'], /unknown level "loud"/],
    [['--facility', 'kernel'], /unknown facility "kernel"/],
    [['--since', 'yesterday'], /--since "yesterday" is not a time/],
    [['--since-end'], /--dump=true cannot also be provided when using --since-end/],
    [['--json', '--human'], /cannot also be provided/],
    [['--json', '-T'], /cannot also be provided/],
  ]
  for (const [args, msg] of usage) {
    it(`--dump ${args.join(' ')}: exit 2`, () => {
      const res = cli(['kmsg', '--dump', ...args, '--device', '/dev/no-such-kmsg'])
      assert.equal(res.status, 2, res.stderr)
      assert.match(flat(res.stderr), msg)
    })
  }

  it('a state file that is not one: exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmsg-cli-'))
    const f = path.join(dir, 's')
    fs.writeFileSync(f, 'garbage')
    const res = cli(['kmsg', '--dump', '--state', f, '--device', '/dev/no-such-kmsg'])
    assert.equal(res.status, 2)
    assert.match(flat(res.stderr), new RegExp(`state file ${f} is not JSON; remove it to start over`))
  })
})
