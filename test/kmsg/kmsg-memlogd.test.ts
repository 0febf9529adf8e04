// `diagkit run -n kmsg -- diagkit kmsg` under a real memlogd: every kernel
// record becomes exactly one memlogd entry from source "kmsg" — no dictionary
// lines as entries, no repeats, no gaps.
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {dumpKmsg, lineText} from '../../src/kmsg/index.js'
import {BIN, ROOT, canRead, waitFor} from './helpers.js'

const SKIP = process.getuid?.() !== 0 ? 'needs root to write markers into /dev/kmsg'
  : !canRead() ? '/dev/kmsg cannot be opened here' : false

const env = {...process.env, HOME: os.tmpdir()}
const procs: ChildProcess[] = []
after(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
})

function entries(q: string): Array<{source: string; msg: string}> {
  const res = spawnSync(process.execPath, [BIN, 'logread', '--socket', q, '--json'], {cwd: ROOT, env, encoding: 'utf8', timeout: 15_000})
  assert.equal(res.status, 0, res.stderr)
  return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

describe('kmsg under memlogd', {skip: SKIP}, () => {
  it('yields exactly one memlogd entry per kernel record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'km-'))
    const logSock = path.join(dir, 'l.sock')
    const qSock = path.join(dir, 'q.sock')
    // Lines as long as a kernel record can get once its bytes are \xNN-escaped (~4 KiB):
    // memlogd's default 1024 would cut them, as LinuxKit's does.
    const daemon = spawn(process.execPath, [BIN, 'memlogd', '--socket-log', logSock, '--socket-query', qSock, '--max-lines', '200000', '--max-line-len', '16384', '--no-console'],
      {cwd: ROOT, env, stdio: 'ignore'})
    procs.push(daemon)
    await waitFor('memlogd sockets', () => fs.existsSync(logSock) && fs.existsSync(qSock), undefined, 15_000)

    const id = randomUUID()
    fs.writeFileSync('/dev/kmsg', `<6>diagkit-memlogd-before-${id}\n`)
    const svc = spawn(process.execPath, [BIN, 'run', '-n', 'kmsg', '--socket', logSock, '--', process.execPath, BIN, 'kmsg'],
      {cwd: ROOT, env, stdio: ['ignore', 'ignore', 'ignore']})
    procs.push(svc)
    const svcExit = new Promise<number | null>((r) => svc.on('exit', (c) => r(c)))

    const endMarker = `diagkit-memlogd-after-${id}`
    let written = false
    await waitFor('the end marker in memlogd', () => entries(qSock).some((e) => e.source === 'kmsg' && e.msg.endsWith(`: ${endMarker}`)), () => {
      if (!written) fs.writeFileSync('/dev/kmsg', `<6>${endMarker}\n`)
      written = true
    }, 15_000)
    svc.kill('SIGTERM')
    assert.equal(await svcExit, 0)

    const all = entries(qSock)
    const kmsg = all.filter((e) => e.source === 'kmsg')
    assert.equal(all.filter((e) => e.source === 'kmsg.out').length, 0, 'nothing on stdout')
    const parsed = kmsg.map((e) => {
      const m = /^\((\d+)\) - \S+Z: (.*)$/.exec(e.msg)
      assert.ok(m, `entry is one LinuxKit kmsg line: ${e.msg}`)
      return {seq: BigInt(m[1]), text: m[2]}
    })
    // One entry per record: seqs consecutive, and each entry's text is its record's text.
    for (let i = 1; i < parsed.length; i++) assert.equal(parsed[i].seq, parsed[i - 1].seq + 1n, `entry ${i} follows ${parsed[i - 1].seq}`)
    const held = new Map((await dumpKmsg()).map((r) => [r.seq, r]))
    for (const p of parsed) {
      const r = held.get(p.seq)
      if (r) assert.equal(p.text, lineText(r.text))
    }
    const before = parsed.find((p) => p.text === `diagkit-memlogd-before-${id}`)
    const endEntry = parsed.find((p) => p.text === endMarker)
    assert.ok(before && endEntry && endEntry.seq > before.seq)
    // Every record between the two markers is in memlogd, once.
    const between = [...held.values()].filter((r) => r.seq >= before.seq && r.seq <= endEntry.seq)
    assert.equal(parsed.filter((p) => p.seq >= before.seq && p.seq <= endEntry.seq).length, between.length)

    daemon.kill('SIGTERM')
    await new Promise((r) => daemon.once('exit', r))
  })
})
