import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {parseLogFileName, SAFE_NAME_MAX, safeFileName, sourceFromSafeName} from '../../src/logwrite/index.js'
import {freshDir, listLogs, makeSink, read} from './helpers.js'
import {loadCases} from '../helpers/cases.js'

const N1 = loadCases('N1')[0].sources as string[]

describe('safeFileName', () => {
  it('keeps ordinary service names as they are', () => {
    for (const s of ['docker', 'kubelet.out', 'onboot.000-dhcpcd', 'a_b-c+d@e=f,g', 'Z9']) assert.equal(safeFileName(s), s)
  })

  it('escapes separators, traversal, controls, the escape character and non-ASCII', () => {
    assert.equal(safeFileName('../../etc/x'), '%2E.%2F..%2Fetc%2Fx')
    assert.equal(safeFileName('/usr/bin/foo'), '%2Fusr%2Fbin%2Ffoo')
    assert.equal(safeFileName('..'), '%2E.')
    assert.equal(safeFileName('.'), '%2E')
    assert.equal(safeFileName('.hidden'), '%2Ehidden')
    assert.equal(safeFileName('-rf'), '%2Drf')
    assert.equal(safeFileName('a\nb'), 'a%0Ab')
    assert.equal(safeFileName('nul\u0000x'), 'nul%00x')
    assert.equal(safeFileName('50%'), '50%25')
    assert.equal(safeFileName('a b'), 'a%20b')
    assert.equal(safeFileName('é'), '%C3%A9')
    assert.equal(safeFileName('x\u2028'), 'x%E2%80%A8')
    assert.equal(safeFileName(''), '%empty')
  })

  it('caps long names with a hash, inside NAME_MAX even with the longest suffix', () => {
    const long = 'x'.repeat(300)
    const safe = safeFileName(long)
    assert.equal(safe.length, SAFE_NAME_MAX)
    assert.match(safe, /^x{166}%~[0-9a-f]{32}$/)
    assert.ok(Buffer.byteLength(`${safe}.log.999999999.gz`) <= 255)
    // Long names that differ only past the cut still differ.
    assert.notEqual(safeFileName('y'.repeat(250) + 'a'), safeFileName('y'.repeat(250) + 'b'))
    // The cut never splits an escape.
    assert.match(safeFileName('/'.repeat(100)), /^(%2F)+%~[0-9a-f]{32}$/)
    assert.equal(sourceFromSafeName(safe), undefined)
  })

  it('never maps two sources to one name (escaping is reversible)', () => {
    const sources = [...N1, 'a/b', 'a%2Fb', 'a%2fb', '%empty', '.x', '%2Ex', 'x.log', 'x', 'x.log.0', 'A', 'a', '%~', 'é', '\u00e9']
    const names = new Map<string, string>()
    for (const s of sources) {
      const safe = safeFileName(s)
      const other = names.get(safe)
      assert.ok(other === undefined || other === s, `${JSON.stringify(s)} and ${JSON.stringify(other)} share ${safe}`)
      names.set(safe, s)
      if (!safe.includes('%~')) assert.equal(sourceFromSafeName(safe), s)
    }
  })

  it('parses logwrite file names and ignores others', () => {
    assert.deepEqual(parseLogFileName('docker.log'), {safe: 'docker', compressed: false})
    assert.deepEqual(parseLogFileName('docker.log.0'), {safe: 'docker', index: 0, compressed: false})
    assert.deepEqual(parseLogFileName('x.log.log.12.gz'), {safe: 'x.log', index: 12, compressed: true})
    assert.equal(parseLogFileName('.logwrite-cursor'), undefined)
    assert.equal(parseLogFileName('.x.log.0.gz.tmp'), undefined)
    assert.equal(parseLogFileName('docker.txt'), undefined)
    assert.equal(parseLogFileName('docker.log.x'), undefined)
  })
})

describe('case N1: hostile source names on real files', () => {
  const dir = freshDir()
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('gives each source its own file directly inside log-dir', () => {
    const {sink} = makeSink(dir, {maxSize: 1 << 20, maxFiles: 3})
    N1.forEach((s, i) => sink.add(s, `msg ${i}\n`))
    sink.close()
    const names = listLogs(dir)
    assert.equal(names.length, N1.length)
    for (const [i, s] of N1.entries()) {
      const name = `${safeFileName(s)}.log`
      assert.ok(names.includes(name))
      assert.equal(read(dir, name), `msg ${i}\n`)
      assert.ok(fs.statSync(path.join(dir, name)).isFile())
      assert.doesNotMatch(name, /[/\u0000-\u001f\u007f]/)
      assert.ok(Buffer.byteLength(name) <= 255)
    }
    // Nothing escaped the directory.
    assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((n) => n === 'etc' || n === 'x'), [])
  })
})
