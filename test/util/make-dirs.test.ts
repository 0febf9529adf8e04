import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {makeDirsSync} from '../../src/util/make-dirs.js'
import {cli, tempDir} from '../helpers/memlogd.js'

const dir = tempDir('dk-mkdirs-')
after(() => fs.rmSync(dir, {recursive: true, force: true}))

describe('makeDirsSync', () => {
  it('creates missing parents with the given mode and accepts an existing directory', () => {
    const deep = path.join(dir, 'a/b/c')
    makeDirsSync(deep, 0o700)
    assert.ok(fs.statSync(deep).isDirectory())
    assert.equal(fs.statSync(path.join(dir, 'a')).mode & 0o777, 0o700 & ~process.umask())
    makeDirsSync(deep)
  })

  it('fails (and does not spin) where the kernel refuses, as under /proc', () => {
    assert.throws(() => makeDirsSync('/proc/1/diagkit-test'), {code: 'ENOENT'})
  })

  it('fails with ENOTDIR when a file is in the way', () => {
    const file = path.join(dir, 'file')
    fs.writeFileSync(file, '')
    assert.throws(() => makeDirsSync(file), {code: 'ENOTDIR'})
    assert.throws(() => makeDirsSync(path.join(file, 'sub')), {code: 'ENOTDIR'})
  })

  it('diagnose -o under /proc is one line and exit 1, not a hang', async () => {
    const r = await cli(['diagnose', '--skip', 'system/', '--skip', 'kmsg', '--socket', path.join(dir, 'none.sock'), '--log-dir', path.join(dir, 'nolog'), '-o', '/proc/1'], {timeoutMs: 20_000})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^diagkit diagnose: cannot write the report in \/proc\/1: ENOENT: no such file or directory, mkdir '\/proc\/1\/[0-9a-f-]+'\n$/m)
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('diagkit diagnose: cannot')).length, 1)
  })
})
