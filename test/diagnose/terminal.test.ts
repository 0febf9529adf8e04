// diagnose on real pseudo-terminals (script(1)): a spinner where there is a
// width, plain lines where the terminal reports 0 columns (serial consoles),
// and in both cases a finished report.

import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {BIN, tempDir} from '../helpers/memlogd.js'

const dir = tempDir('dk-d-tty-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))
const haveScript = spawnSync('script', ['--version']).status === 0

function onTerminal(cols: number, out: string): {status: number | null; output: string} {
  const cmd = `stty cols ${cols} rows ${cols === 0 ? 0 : 24}; "${process.execPath}" "${BIN}" diagnose --skip system/ --skip kmsg --socket "${path.join(dir, 'none.sock')}" --log-dir "${path.join(dir, 'nolog')}" -o "${out}"`
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {encoding: 'utf8', timeout: 60_000, env: {...process.env, CI: undefined}})
  return {status: r.status, output: r.stdout}
}

describe('diagnose on a terminal', {skip: haveScript ? false : 'script(1) from util-linux is not installed'}, () => {
  it('finishes with plain progress on a terminal that reports 0 columns', () => {
    const out = path.join(dir, 'zero')
    const r = onTerminal(0, out)
    assert.equal(r.status, 0)
    assert.match(r.output, /diagnose: memlogd: skipped/)
    assert.ok(r.output.length < 5000, `bounded output, got ${r.output.length} bytes`)
    assert.equal(fs.readdirSync(out).length, 1)
  })

  it('shows the spinner on a terminal with a width, and finishes', () => {
    const out = path.join(dir, 'wide')
    const r = onTerminal(80, out)
    assert.equal(r.status, 0)
    assert.match(r.output, /collected \(\d+ collectors\)/)
    assert.match(r.output, /Diagnostics ID: /)
  })
})
