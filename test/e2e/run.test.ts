import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {after, before, describe, it} from 'node:test'
import {BIN, cli, dumpServices, startMemlogd, waitForEntries, type RunningDaemon} from '../helpers/memlogd.js'

describe('diagkit run', () => {
  let d: RunningDaemon
  before(async () => {
    d = await startMemlogd(['--max-lines', '100000'])
  })
  after(async () => {
    await d.stop()
  })

  it('sends stdout as NAME.out and stderr as NAME, passes both through and keeps the exit code', async () => {
    const r = await cli(['run', '-n', 'svc1', '--socket', d.logSock, '--', 'sh', '-c', 'echo out1; echo err1 >&2; echo out2; exit 3'])
    assert.equal(r.code, 3)
    assert.equal(r.stdout, 'out1\nout2\n')
    assert.equal(r.stderr, 'err1\n')
    const out = await waitForEntries(d.querySock, (e) => e.source === 'svc1.out', 2)
    assert.deepEqual(out.map((e) => e.msg), ['out1', 'out2'])
    const err = await waitForEntries(d.querySock, (e) => e.source === 'svc1')
    assert.deepEqual(err.map((e) => e.msg), ['err1'])
  })

  it('names the source after the basename of CMD by default', async () => {
    const r = await cli(['run', '--socket', d.logSock, '--', '/bin/echo', 'by default'])
    assert.equal(r.code, 0)
    const found = await waitForEntries(d.querySock, (e) => e.source === 'echo.out' && e.msg === 'by default')
    assert.equal(found.length, 1)
  })

  it('exits with 128+N when CMD is killed by signal N', async () => {
    const r = await cli(['run', '-n', 'killed', '--socket', d.logSock, '--', 'sh', '-c', 'kill -TERM $$'])
    assert.equal(r.code, 143)
  })

  it('leaks no fd into CMD: it has what a direct spawn has, and no socket beyond stdio', async () => {
    const list = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && echo "$n $(readlink $f)"; done; true'
    const direct = await new Promise<string>((resolve) => {
      const p = spawn('sh', ['-c', list], {stdio: ['pipe', 'pipe', 'pipe']})
      let out = ''
      p.stdout.on('data', (x) => (out += x))
      p.on('exit', () => resolve(out))
    })
    const r = await cli(['run', '-n', 'fds', '--socket', d.logSock, '--', 'sh', '-c', list])
    assert.equal(r.code, 0)
    // Inode numbers differ (the listing's own command substitution opens a pipe): compare fd and kind.
    const shape = (s: string) => s.replace(/\[\d+\]/g, '')
    assert.equal(shape(r.stdout), shape(direct))
    assert.ok(!r.stdout.includes('socket:'), r.stdout)
  })

  it('returns when CMD exits even if a background child keeps its pipes open, and memlogd sees EOF', async () => {
    const marker = `31.${process.pid}`
    const started = Date.now()
    const r = await cli(['run', '-n', 'bg', '--socket', d.logSock, '--', 'sh', '-c', `sleep ${marker} & echo parent done`])
    try {
      assert.equal(r.code, 0)
      assert.ok(Date.now() - started < 10_000, 'run returned while the background child still runs')
      const found = await waitForEntries(d.querySock, (e) => e.source === 'bg.out')
      assert.deepEqual(found.map((e) => e.msg), ['parent done'])
    } finally {
      spawn('pkill', ['-f', `sleep ${marker}`])
    }
  })

  it('warns once and still runs CMD when memlogd is not listening', async () => {
    const r = await cli(['run', '--socket', `${d.dir}/absent.sock`, '--', 'sh', '-c', 'echo still ran; exit 4'])
    assert.equal(r.code, 4)
    assert.equal(r.stdout, 'still ran\n')
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1)
    assert.match(r.stderr, /^diagkit run: warning: cannot reach memlogd at .*absent\.sock: no such socket/)
  })

  it('names the problem when --socket is the query socket or not a socket', async () => {
    const q = await cli(['run', '--socket', d.querySock, '--', 'true'])
    assert.equal(q.code, 0)
    assert.equal(q.stderr, `diagkit run: warning: cannot reach memlogd at ${d.querySock}: wrong kind of socket: this looks like memlogd's query socket; use its log socket (memlogd --socket-log); running true without log capture\n`)
    const dirRun = await cli(['run', '--socket', d.dir, '--', 'true'])
    assert.equal(dirRun.stderr, `diagkit run: warning: cannot reach memlogd at ${d.dir}: not a socket but a directory; running true without log capture\n`)
  })

  it('exits 127 with a one-line error when CMD does not exist', async () => {
    const r = await cli(['run', '--socket', d.logSock, '--', 'no-such-command-xyz'])
    assert.equal(r.code, 127)
    assert.equal(r.stderr, 'diagkit run: cannot run no-such-command-xyz: command not found\n')
  })

  it('passes CMD its arguments verbatim, even ones that repeat run\'s own flags or "--"', async () => {
    const r = await cli(['run', '-n', 'verbatim', '--socket', d.logSock, '--', 'sh', '-c', 'printf "%s|" "$@"', 'sh', '--socket', '-n', 'verbatim', '--', 'run', 'logread'])
    assert.equal(r.code, 0)
    assert.equal(r.stdout, '--socket|-n|verbatim|--|run|logread|')
  })

  it('requires a command', async () => {
    const r = await cli(['run', '--socket', d.logSock])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^diagkit run: Missing 1 required arg/)
  })

  it('passes a large output through completely, to memlogd and to stdout', async () => {
    const r = await cli(['run', '-n', 'big', '--socket', d.logSock, '--', 'seq', '1', '20000'])
    assert.equal(r.code, 0)
    assert.equal(r.stdout.split('\n').length, 20001)
    const found = await waitForEntries(d.querySock, (e) => e.source === 'big.out', 20000, 10_000)
    assert.equal(found.at(-1)!.msg, '20000')
    assert.equal(new Set(found.map((e) => e.msg)).size, 20000)
  })

  it('forwards SIGTERM to CMD', async () => {
    const p = spawn(process.execPath, [BIN, 'run', '-n', 'term', '--socket', d.logSock, '--', 'sh', '-c', 'trap "echo got term; exit 7" TERM; echo ready; while :; do sleep 0.05; done'], {stdio: ['ignore', 'pipe', 'pipe']})
    await new Promise<void>((resolve, reject) => {
      p.stdout.once('data', () => resolve())
      p.once('exit', (code) => reject(new Error(`run exited (${code}) before CMD was ready`)))
    })
    const code = new Promise((resolve) => p.once('exit', resolve))
    p.kill('SIGTERM')
    assert.equal(await code, 7)
    const found = await waitForEntries(d.querySock, (e) => e.source === 'term.out' && e.msg === 'got term')
    assert.equal(found.length, 1)
    assert.ok((await dumpServices(d.querySock)).length > 0)
  })
})
