// memlogd's socket files over its life: a stale socket is replaced, a live
// daemon is never stolen from, SIGTERM/SIGINT remove both files, and
// --daemonize returns at once with the sockets already accepting clients.

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {type RunningDaemon, cli, dump, pySend, startMemlogd, tempDir, waitForEntries} from '../helpers/memlogd.js'
import {assertHealthy, waitGone} from './memlogd-support.js'

/** Pids whose command line holds `needle` as one argument (no fuser needed). */
function pidsWithArg(needle: string): number[] {
  const pids: number[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')
      if (args.includes(needle) && args.includes('memlogd')) pids.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

/** Leaves a socket file at path with nobody listening, as a crashed daemon would. */
function staleSocket(file: string, type: 'SOCK_DGRAM' | 'SOCK_STREAM'): void {
  execFileSync('python3', ['-c', `import socket,sys\ns=socket.socket(socket.AF_UNIX, socket.${type})\ns.bind(sys.argv[1])\n${type === 'SOCK_STREAM' ? 's.listen()\n' : ''}`, file])
  assert.ok(fs.lstatSync(file).isSocket())
}

const running: RunningDaemon[] = []
const background: number[] = []
after(async () => {
  for (const d of running) await d.stop()
  for (const pid of background) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

describe('socket files', () => {
  it('stale socket files with nobody listening are replaced', async () => {
    const dir = tempDir('dk-stale-')
    staleSocket(path.join(dir, 'log.sock'), 'SOCK_DGRAM')
    staleSocket(path.join(dir, 'q.sock'), 'SOCK_STREAM')
    // startMemlogd returns as soon as both files exist, which they already do:
    // wait until the daemon answers on them (the stale ones refuse connections).
    const d = await startMemlogd([], {dir})
    running.push(d)
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        const es = await dump(d.querySock)
        if (es.some((e) => e.msg.startsWith('memlogd started'))) break
      } catch (error) {
        if (Date.now() > deadline) throw error
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    await assertHealthy(d, 'stale')
    assert.equal(await d.stop(), 0)
    assert.deepEqual(fs.readdirSync(dir), [])
  })

  it('a live daemon on either path: the second memlogd exits 1 with a one-line error naming the path', async () => {
    const d = await startMemlogd()
    running.push(d)
    const other = path.join(d.dir, 'other.sock')
    const onLog = await cli(['memlogd', '--socket-log', d.logSock, '--socket-query', other, '--no-console'])
    assert.equal(onLog.code, 1)
    assert.equal(onLog.stderr, `diagkit memlogd: memlogd is already running: ${d.logSock} accepts connections\n`)
    const onQuery = await cli(['memlogd', '--socket-log', other, '--socket-query', d.querySock, '--no-console'])
    assert.equal(onQuery.code, 1)
    assert.equal(onQuery.stderr, `diagkit memlogd: memlogd is already running: ${d.querySock} accepts connections\n`)
    // The failed starts left nothing behind (the log socket bound by the second one was removed)...
    assert.deepEqual(fs.readdirSync(d.dir).sort(), ['log.sock', 'q.sock'])
    // ...and the first daemon lost nothing.
    await assertHealthy(d, 'live')
  })

  it('a path that is not a socket is never replaced', async () => {
    const dir = tempDir('dk-notsock-')
    const file = path.join(dir, 'log.sock')
    fs.writeFileSync(file, 'precious')
    const r = await cli(['memlogd', '--socket-log', file, '--socket-query', path.join(dir, 'q.sock'), '--no-console'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `diagkit memlogd: ${file} exists and is not a socket; refusing to replace it\n`)
    assert.equal(fs.readFileSync(file, 'utf8'), 'precious')
    assert.deepEqual(fs.readdirSync(dir), ['log.sock'])
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} removes both socket files and exits 0`, async () => {
      const d = await startMemlogd()
      running.push(d)
      await assertHealthy(d, signal)
      const exited = new Promise<number | null>((resolve) => d.proc.once('exit', (code) => resolve(code)))
      d.proc.kill(signal)
      assert.equal(await exited, 0)
      assert.deepEqual(fs.readdirSync(d.dir), [])
      assert.equal(d.stderr(), '')
    })
  }
})

describe('--daemonize', () => {
  it('returns at once; clients connect immediately; SIGTERM to the background daemon removes its sockets', async () => {
    const dir = tempDir('dk-daemon-')
    const logSock = path.join(dir, 'log.sock')
    const querySock = path.join(dir, 'q.sock')
    const r = await cli(['memlogd', '--daemonize', '--socket-log', logSock, '--socket-query', querySock])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^\d+\n$/, 'prints the daemon\'s pid')
    // No waiting: both sockets accept clients the moment the command returned.
    const first = await dump(querySock)
    assert.match(first[0]?.msg ?? '', /^memlogd started \(instance [0-9a-f]{16}, max-lines 5000, /)
    const sent = await pySend(logSock, 'bg', 'pipe', undefined, ['from the background\n'])
    assert.equal(sent.code, 0, sent.stderr)
    const got = await waitForEntries(querySock, (e) => e.source === 'bg', 1, 10_000)
    assert.equal(got[0].msg, 'from the background')
    const pids = pidsWithArg(logSock)
    assert.equal(pids.length, 1, `background daemons for ${logSock}: ${pids.join(', ')}`)
    background.push(pids[0])
    assert.equal(Number(r.stdout), pids[0], 'the pid printed is the daemon\'s')
    // It leads its own session (detached), so a terminal's hangup does not reach it.
    const stat = fs.readFileSync(`/proc/${pids[0]}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    assert.equal(Number(fields[3]), pids[0], 'session id is its own pid')
    process.kill(pids[0], 'SIGTERM')
    await waitGone(pids[0])
    assert.deepEqual(fs.readdirSync(dir), [])
  })
})
