import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {ROOT} from '../helpers/memlogd.js'

describe('field cases fixture', () => {
  it('is the same as shared/cases/cases.json beside the repo, when that is there', (t) => {
    const shared = path.resolve(ROOT, '../shared/cases/cases.json')
    if (!fs.existsSync(shared)) {
      t.skip(`no ${shared} beside this clone to compare with`)
      return
    }
    const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/field-cases.json'), 'utf8'))
    assert.deepEqual(ours, JSON.parse(fs.readFileSync(shared, 'utf8')))
  })
})
