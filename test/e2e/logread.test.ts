import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {acceptAndClose, BIN, cli, pySend, queryRaw, startMemlogd, tempDir, waitFor, waitForEntries, type RunningDaemon} from '../helpers/memlogd.js'

describe('diagkit logread', () => {
  let d: RunningDaemon
  before(async () => {
    d = await startMemlogd()
    await pySend(d.logSock, 'svc\n2024-01-01T00:00:00Z;root;FORGED', 'pipe', undefined, ['ok\n'])
    await pySend(d.logSock, 'a;b\\c', 'pipe', undefined, ['esc \u001b[2J here\n'])
    await pySend(d.logSock, 'plain', 'pipe', undefined, ['one\ntwo\n'])
    await waitForEntries(d.querySock, (e) => e.source === 'plain', 2)
  })
  after(async () => {
    await d.stop()
  })

  it('prints the text form with every entry on exactly one line (T1)', async () => {
    const r = await cli(['logread', '--socket', d.querySock])
    assert.equal(r.code, 0)
    const lines = r.stdout.trimEnd().split('\n')
    const forged = lines.filter((l) => l.includes('FORGED'))
    assert.equal(forged.length, 1)
    assert.match(forged[0], /^\S+;svc\\x0a2024-01-01T00:00:00Z\\;root\\;FORGED;ok$/)
    assert.ok(lines.some((l) => /^\S+;a\\;b\\\\c;esc \\x1b\[2J here$/.test(l)))
    assert.ok(lines.some((l) => /;plain;one$/.test(l)))
    assert.ok(lines[0].includes(';memlogd;memlogd started'))
  })

  it('--json prints entries exactly as the daemon sent them', async () => {
    const raw = (await queryRaw(d.querySock, [0])).toString()
    const r = await cli(['logread', '--json', '--socket', d.querySock])
    assert.equal(r.code, 0)
    assert.equal(r.stdout, raw)
  })

  it('--source keeps only the named sources, in text and JSON', async () => {
    const r = await cli(['logread', '--source', 'plain', '--socket', d.querySock])
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.split(';').slice(1).join(';')), ['plain;one', 'plain;two'])
    const j = await cli(['logread', '--json', '--source', 'plain', '--source', 'a;b\\c', '--socket', d.querySock])
    assert.deepEqual(j.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).source), ['a;b\\c', 'plain', 'plain'])
  })

  it('never colours a pipe, even with FORCE_COLOR', async () => {
    const r = await cli(['logread', '--socket', d.querySock], {env: {...process.env, FORCE_COLOR: '3'}})
    assert.equal(r.code, 0)
    assert.ok(!r.stdout.includes('\u001b['))
  })

  it('colours sources on a terminal, and not with NO_COLOR', async (t) => {
    // script(1) gives logread a pseudo-terminal as stdout.
    const onTty = (env: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve) => {
        const p = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" logread --socket "${d.querySock}"`, '/dev/null'], {env})
        let out = ''
        p.stdout.on('data', (x) => (out += x))
        p.on('error', () => resolve('no script'))
        p.on('exit', () => resolve(out))
      })
    // chalk turns colour off under an unknown CI (CI=true), terminal or not: test a user's shell.
    const coloured = await onTty({...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined})
    if (coloured === 'no script') {
      t.skip('script(1) from util-linux is not installed')
      return
    }
    assert.match(coloured, /;\u001b\[\d+mplain\u001b\[39m;one/)
    const plain = await onTty({...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined})
    assert.ok(plain.includes(';plain;one'))
    assert.ok(!plain.includes('\u001b['), JSON.stringify(plain.slice(0, 200)))
  })

  it('-f follows only new entries; -F dumps then follows', async () => {
    const follow = spawn(process.execPath, [BIN, 'logread', '-f', '--socket', d.querySock], {stdio: ['ignore', 'pipe', 'pipe']})
    const both = spawn(process.execPath, [BIN, 'logread', '-F', '--socket', d.querySock], {stdio: ['ignore', 'pipe', 'pipe']})
    let fOut = ''
    let bOut = ''
    follow.stdout.on('data', (x) => (fOut += x))
    both.stdout.on('data', (x) => (bOut += x))
    try {
      await waitFor(() => bOut.includes(';plain;two'), 10_000, 'the -F dump')
      // Give the -f client time to connect: its socket connection is what matters.
      await new Promise((r) => setTimeout(r, 700))
      await pySend(d.logSock, 'later', 'pipe', undefined, ['fresh line\n'])
      await waitFor(() => fOut.includes(';later;fresh line') && bOut.includes(';later;fresh line'), 10_000, 'followed line')
      assert.ok(!fOut.includes('plain;one'), '-f must not dump the ring')
      assert.equal(bOut.split('\n').filter((l) => l.endsWith(';later;fresh line')).length, 1)
    } finally {
      follow.kill('SIGINT')
      both.kill('SIGINT')
    }
    const codes = await Promise.all([follow, both].map((p) => new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r(p.exitCode)))))
    assert.deepEqual(codes, [0, 0])
  })

  it('`logread -F | head -1` exits quietly', async () => {
    const r = await new Promise<{out: string; err: string; codes: string}>((resolve) => {
      const sh = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" logread -F --socket "${d.querySock}" | head -1; echo "codes=\${PIPESTATUS[*]}" >&2`])
      let out = ''
      let err = ''
      sh.stdout.on('data', (x) => (out += x))
      sh.stderr.on('data', (x) => (err += x))
      sh.on('exit', () => resolve({out, err: err.replace(/codes=.*\n/, ''), codes: /codes=(.*)/.exec(err)?.[1] ?? ''}))
    })
    assert.equal(r.out.split('\n').filter(Boolean).length, 1)
    assert.equal(r.err, '')
    assert.equal(r.codes, '0 0')
  })

  it('following a quiet ring, exits quietly once the reader of its pipe is gone', async () => {
    for (const reader of ['true', 'sleep 1']) {
      const started = Date.now()
      const r = await new Promise<string>((resolve) => {
        const sh = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" logread -f --socket "${d.querySock}" | ${reader}; echo "\${PIPESTATUS[*]}"`])
        let out = ''
        sh.stdout.on('data', (x) => (out += x))
        sh.on('exit', () => resolve(out))
      })
      assert.equal(r.trim(), '0 0', reader)
      assert.ok(Date.now() - started < 15_000)
    }
  })

  it('says which socket when no daemon is there', async () => {
    const missing = path.join(d.dir, 'missing.sock')
    const r = await cli(['logread', '--socket', missing])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `diagkit logread: cannot connect to memlogd at ${missing}: no such socket (is memlogd running?)\n`)
  })

  it('says what is wrong with a path that is not a query socket', async () => {
    const cases: Array<[string, string]> = [
      [d.logSock, "wrong kind of socket: this looks like memlogd's log socket; use its query socket (memlogd --socket-query)"],
      [d.dir, 'not a socket but a directory'],
      [path.join(d.dir, 'plain-file'), 'not a socket but a file'],
    ]
    fs.writeFileSync(path.join(d.dir, 'plain-file'), '')
    for (const [sock, why] of cases) {
      const r = await cli(['logread', '--socket', sock])
      assert.equal(r.code, 1)
      assert.equal(r.stderr, `diagkit logread: cannot connect to memlogd at ${sock}: ${why}\n`)
    }
  })

  it('a socket that accepts and closes at once: one line and exit 1, never a crash', async () => {
    // The peer may be gone before the mode byte is written (EPIPE) or while
    // reading (ECONNRESET, EOF): every run must end the same orderly way.
    const sock = path.join(tempDir(), 'closer.sock')
    const peer = await acceptAndClose(sock)
    try {
      for (const args of [[], [], [], [], [], ['-F'], ['-F'], ['-f'], ['--json'], ['-F', '--json']]) {
        const r = await cli(['logread', ...args, '--socket', sock])
        assert.ok(r.code === 1 || (r.code === 0 && r.stdout === '' && !args.length), `${args}: exit ${r.code}: ${r.stderr}`)
        assert.doesNotMatch(r.stderr, /\n.|node:|Unhandled|\n\s+at /, `${args}: one line, no stack trace`)
        if (r.code === 1) assert.match(r.stderr, /^diagkit logread: (cannot connect to|connection to) memlogd at .*\n$/)
      }
    } finally {
      await peer.close()
    }
  })

  it('fails with one line and a non-zero exit when the daemon dies mid-record', async () => {
    const dir = tempDir()
    const sock = path.join(dir, 'dying.sock')
    const server = net.createServer((c) => {
      c.once('data', () => c.end('{"time":"2026-12-03T00:00:00Z","source":"a","msg":"whole"}\n{"time":"2026-12-03T00:00:01Z","sou'))
    })
    await new Promise<void>((r) => server.listen(sock, r))
    try {
      const r = await cli(['logread', '--socket', sock])
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '2026-12-03T00:00:00Z;a;whole\n')
      assert.equal(r.stderr, `diagkit logread: memlogd at ${sock} closed the connection in the middle of an entry\n`)
    } finally {
      server.close()
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('rejects -f together with -F', async () => {
    const r = await cli(['logread', '-f', '-F', '--socket', d.querySock])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^diagkit logread: .*cannot also be provided/)
  })
})
