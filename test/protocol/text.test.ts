import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {escapeSource, escapeText, formatFileLine, formatLogreadLine} from '../../src/protocol/text.js'
import {loadCases} from '../helpers/cases.js'

describe('text renderings', () => {
  for (const c of loadCases('T')) {
    it(`field case ${c.id}: ${c.why as string}`, () => {
      const line = formatLogreadLine({time: '2026-12-03T00:00:00Z', source: c.source as string, msg: c.msg as string})
      assert.equal(line.split('\n').length, 1)
      assert.equal(line, '2026-12-03T00:00:00Z;svc\\x0a2024-01-01T00:00:00Z\\;root\\;FORGED;ok')
    })
  }

  it('escapes backslash first, so escapes cannot be forged', () => {
    assert.equal(escapeText('a\\x0ab'), 'a\\\\x0ab')
    assert.equal(escapeSource('x\\;y'), 'x\\\\\\;y')
  })

  it('escapes C0, DEL, C1 and the Unicode line separators', () => {
    assert.equal(escapeText('\u0000\u001b\u007f\u0085\u009b\u2028\u2029'), '\\x00\\x1b\\x7f\\x85\\x9b\\u{2028}\\u{2029}')
  })

  it('leaves ";" in messages alone (only the source is ;-separated)', () => {
    assert.equal(formatLogreadLine({time: 'T', source: 'a;b', msg: 'x;y'}), 'T;a\\;b;x;y')
  })

  it('logwrite form keeps LinuxKit layout with the same escaping', () => {
    assert.equal(formatFileLine({time: 'T', source: 'svc\n', msg: 'm\u001b'}), 'T svc\\x0a m\\x1b')
  })
})
