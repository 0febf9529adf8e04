import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {BIN, tempDir} from '../helpers/memlogd.js'

const dir = tempDir('dk-early-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))

/**
 * True once bin/run.js's first lines have run. They catch SIGHUP as well, and
 * Node catches only SIGINT and SIGTERM on its own, so SIGHUP tells.
 */
function cliIsListening(pid: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m !== null && (BigInt(`0x${m[1]}`) & 1n) !== 0n
  } catch {
    return false
  }
}

/** Spawns `diagkit args`, sends SIGTERM `delayMs` after the CLI listens for it, resolves with the exit status. */
function termEarly(args: string[], delayMs: number): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    p.stderr.on('data', (d) => (stderr += d))
    const killer = setTimeout(() => p.kill('SIGKILL'), 20_000)
    const poll = setInterval(() => {
      if (!cliIsListening(p.pid!)) return
      clearInterval(poll)
      setTimeout(() => p.kill('SIGTERM'), delayMs)
    }, 1)
    p.on('error', reject)
    p.on('exit', (code, signal) => {
      clearInterval(poll)
      clearTimeout(killer)
      resolve({code, signal, stderr})
    })
  })
}

describe('a stop signal while the CLI is still loading', () => {
  for (const delay of [0, 20, 60]) {
    it(`memlogd and logwrite exit 0 (SIGTERM ${delay} ms after the CLI listens) and leave nothing behind`, async () => {
      const logSock = path.join(dir, `l${delay}.sock`)
      const querySock = path.join(dir, `q${delay}.sock`)
      const m = await termEarly(['memlogd', '--no-console', '--socket-log', logSock, '--socket-query', querySock], delay)
      assert.deepEqual([m.code, m.signal, m.stderr], [0, null, ''])
      assert.ok(!fs.existsSync(logSock) && !fs.existsSync(querySock), 'socket files removed')
      const w = await termEarly(['logwrite', '--socket', path.join(dir, 'none.sock'), '--log-dir', path.join(dir, `logs${delay}`)], delay)
      assert.equal(w.code, 0, w.stderr)
      assert.equal(w.signal, null)
    })
  }

  it('other commands end like a process killed by SIGTERM: 143', async () => {
    const r = await termEarly(['logread', '-f', '--socket', path.join(dir, 'none.sock')], 0)
    assert.equal(r.code, 143)
  })
})
