import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {ROOT, tempDir} from '../helpers/memlogd.js'

describe('oclif.manifest.json', () => {
  it('matches what `oclif manifest` generates from the built commands (run `npm run build` and commit when this fails)', () => {
    const dir = tempDir('dk-manifest-')
    try {
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'))
      // A real copy: through a symlink oclif resolves back to the repo and rewrites its manifest.
      fs.cpSync(path.join(ROOT, 'dist/cli'), path.join(dir, 'dist/cli'), {recursive: true}) // the command bundles
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
      fs.symlinkSync(path.join(ROOT, 'native'), path.join(dir, 'native'))
      // cwd matters: oclif first deletes ./oclif.manifest.json relative to it.
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/oclif/bin/run.js'), 'manifest', dir], {
        cwd: dir,
        stdio: 'pipe',
        env: {...process.env, OCLIF_SKIP_UPDATE_CHECK: '1', NODE_ENV: 'production'},
      })
      const fresh = JSON.parse(fs.readFileSync(path.join(dir, 'oclif.manifest.json'), 'utf8'))
      const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
      assert.deepEqual(committed, fresh)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})
