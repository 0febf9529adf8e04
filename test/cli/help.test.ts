import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {ROOT, cli} from '../helpers/memlogd.js'

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {description?: string; examples?: unknown[]; summary?: string}>
}

describe('help', () => {
  it('lists every command with its summary', async () => {
    const r = await cli(['--help'])
    assert.equal(r.code, 0)
    for (const id of ['memlogd', 'logread', 'run']) assert.match(r.stdout, new RegExp(`^  ${id}\\s+\\S`, 'm'), id)
  })

  for (const id of Object.keys(manifest.commands)) {
    it(`${id}: has a summary, a description and examples, and --help shows them`, async () => {
      const c = manifest.commands[id]
      assert.ok(c.summary && c.summary.length > 10, 'summary')
      assert.ok(c.description && c.description.length > 40, 'description')
      assert.ok(Array.isArray(c.examples) && c.examples.length > 0, 'examples')
      const r = await cli([id, '--help'])
      assert.equal(r.code, 0)
      assert.match(r.stdout, /EXAMPLES/)
      assert.match(r.stdout, /FLAGS/)
    })
  }

  it('prints the version', async () => {
    const r = await cli(['--version'])
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    assert.match(r.stdout, new RegExp(`^diagkit/${pkg.version.replaceAll('.', '\\.')} `))
  })
})
