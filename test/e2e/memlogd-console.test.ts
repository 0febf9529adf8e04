import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {BIN, dumpServices, pySend, startMemlogd, tempDir, waitFor, waitForEntries} from '../helpers/memlogd.js'

const dir = tempDir('dk-echo-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))

describe('memlogd console echo', () => {
  it('echoes each entry to stdout in the logread text form, escaped', async () => {
    const d = await startMemlogd([], {console: true})
    try {
      await pySend(d.logSock, 'svc;x', 'pipe', undefined, ['hello\n', 'esc \u001b[2J\n'])
      await waitFor(() => d.stdout().includes('esc \\x1b[2J'), 5000, 'echo of the second line')
      const lines = d.stdout().trimEnd().split('\n')
      assert.match(lines[0], /^\S+Z;memlogd;memlogd started \(instance [0-9a-f]{16}, /)
      assert.match(lines[1], /^\S+Z;svc\\;x;hello$/)
      assert.match(lines[2], /^\S+Z;svc\\;x;esc \\x1b\[2J$/)
    } finally {
      await d.stop()
    }
  })

  it('a stdout nobody reads never holds up ingestion; the echo says what it skipped', async () => {
    const logSock = path.join(dir, 'l.sock')
    const querySock = path.join(dir, 'q.sock')
    // stdout is a pipe this test does not read until the end: it fills at 64 KiB.
    const proc = spawn(process.execPath, [BIN, 'memlogd', '--socket-log', logSock, '--socket-query', querySock, '--max-lines', '2000'], {stdio: ['ignore', 'pipe', 'inherit']})
    proc.stdout!.pause()
    try {
      await waitFor(() => fs.existsSync(logSock) && fs.existsSync(querySock), 10_000, 'sockets')
      const lines = Array.from({length: 20_000}, (_, i) => `line ${i} ${'x'.repeat(60)}\n`)
      const chunks: string[] = []
      for (let i = 0; i < lines.length; i += 1000) chunks.push(lines.slice(i, i + 1000).join(''))
      const sent = await pySend(logSock, 'flood', 'pipe', undefined, chunks)
      assert.equal(sent.code, 0)
      const last = await waitForEntries(querySock, (e) => e.msg.startsWith('line 19999 '), 1, 10_000)
      assert.equal(last.length, 1)
      const held = await dumpServices(querySock)
      assert.equal(held.length, 2000)
      assert.equal(held.at(-1)!.msg, lines[19_999].slice(0, -1))
      // Now read stdout: the echo caught up and said how many entries it had to skip.
      let out = ''
      proc.stdout!.on('data', (x) => (out += x))
      proc.stdout!.resume()
      await waitFor(() => /memlogd: console echo skipped \d+ entries \(stdout too slow\)/.test(out), 10_000, 'skip notice')
    } finally {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.once('exit', r))
    }
  })
})
