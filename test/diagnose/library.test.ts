// The library with injected collectors: failures of streamed entries, names
// that are taken, collectors that ignore their signal.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {diagnose, type Collector, SkipCollector} from '../../src/diagnose/index.js'
import {buildSummary} from '../../src/diagnose/summary.js'
import type {CollectorResult} from '../../src/diagnose/types.js'
import {listTree, readZip, sha256, tempDir, text} from './helpers.js'

const fixed = () => new Date('2026-03-04T05:06:07Z')
const host = (dir: string) => ({machineIdPath: path.join(dir, 'mid'), productUuidPath: path.join(dir, 'none'), stateDir: dir})

function setup() {
  const dir = tempDir()
  fs.writeFileSync(path.join(dir, 'mid'), '0123456789abcdef0123456789abcdef\n')
  return {dir, out: path.join(dir, 'out'), host: host(dir)}
}

describe('diagnose library', () => {
  it('a streamed entry that fails part-way keeps what was read and reports the error', async () => {
    const {out, host} = setup()
    const broken: Collector = {
      name: 'broken',
      async run(ctx) {
        async function* chunks() {
          yield Buffer.from('first part\n')
          throw new Error('EIO: disk went away')
        }
        await ctx.addStream('x/broken.txt', chunks())
        ctx.addBuffer('x/fine.txt', 'fine\n')
      },
    }
    const res = await diagnose({collectors: [broken], outDir: out, host, now: fixed})
    assert.equal(res.id, '01234567-89ab-cdef-0123-456789abcdef/20260304050607')
    const z = readZip(res.path)
    assert.equal(z.bad, null)
    assert.equal(text(z, 'x/broken.txt'), 'first part\n')
    const rec = res.manifest.files.find((f) => f.name === 'x/broken.txt')!
    assert.equal(rec.error, 'EIO: disk went away')
    assert.equal(rec.sha256, sha256(Buffer.from('first part\n')))
    const c = res.manifest.collectors.find((x) => x.name === 'broken')!
    assert.equal(c.status, 'failed')
    assert.equal(c.error, 'x/broken.txt: EIO: disk went away')
    assert.match(text(z, 'summary.txt'), /Failed collectors:\n {2}- broken: x\/broken.txt: EIO: disk went away/)
  })

  it('never overwrites a report: the same second gets -2, -3', async () => {
    const {out, host} = setup()
    const dir = path.join(out, '01234567-89ab-cdef-0123-456789abcdef')
    fs.mkdirSync(dir, {recursive: true})
    fs.writeFileSync(path.join(dir, '20260304050607.zip'), 'an older report')
    const one: Collector = {name: 'one', run: async (ctx) => void ctx.addBuffer('a.txt', 'a\n')}
    const a = await diagnose({collectors: [one], outDir: out, host, now: fixed})
    const b = await diagnose({collectors: [one], outDir: out, host, now: fixed})
    assert.equal(a.path, path.join(dir, '20260304050607-2.zip'))
    assert.equal(b.path, path.join(dir, '20260304050607-3.zip'))
    assert.equal(a.id, '01234567-89ab-cdef-0123-456789abcdef/20260304050607-2')
    assert.equal(fs.readFileSync(path.join(dir, '20260304050607.zip'), 'utf8'), 'an older report')
    assert.deepEqual(listTree(dir), ['20260304050607-2.zip', '20260304050607-3.zip', '20260304050607.zip'])
  })

  it('a collector that ignores its signal is abandoned after the grace period; later files are refused', async () => {
    const {out, host} = setup()
    let late: unknown = 'not called'
    const stubborn: Collector = {
      name: 'stubborn',
      timeoutMs: 200,
      async run(ctx) {
        ctx.addBuffer('early.txt', 'early\n')
        await new Promise((r) => setTimeout(r, 2500))
        late = ctx.addBuffer('late.txt', 'late\n')
      },
    }
    const skip: Collector = {name: 'nothing-here', run: async () => { throw new SkipCollector('not on this machine') }}
    const t0 = Date.now()
    const res = await diagnose({collectors: [stubborn, skip], outDir: out, host, now: fixed})
    assert.ok(Date.now() - t0 < 2000, `waited ${Date.now() - t0} ms`)
    const c = res.manifest.collectors.find((x) => x.name === 'stubborn')!
    assert.equal(c.status, 'timed-out')
    assert.equal(c.error, 'timed out after 0.2s')
    assert.deepEqual(c.files, ['early.txt'])
    const nothing = res.manifest.collectors.find((x) => x.name === 'nothing-here')!
    assert.equal(nothing.status, 'skipped')
    assert.equal(nothing.error, 'not on this machine')
    await new Promise((r) => setTimeout(r, 2700 - (Date.now() - t0)))
    assert.equal(late, undefined)
    assert.ok(!readZip(res.path).names.includes('late.txt'))
  })

  it('entry names from collectors are made safe and unique', async () => {
    const {out, host} = setup()
    const c: Collector = {
      name: 'names',
      async run(ctx) {
        ctx.addBuffer('/abs/../x.txt', '1')
        ctx.addBuffer('abs/__/x.txt', '2')
        ctx.addBuffer('ctl\u0001name.txt', '3')
      },
    }
    const res = await diagnose({collectors: [c], outDir: out, host, now: fixed})
    const z = readZip(res.path)
    assert.deepEqual(z.names.filter((n) => n !== 'summary.txt' && n !== 'manifest.json'), ['abs/__/x.txt', 'abs/__/x~2.txt', 'ctl_name.txt'])
    assert.equal(text(z, 'abs/__/x~2.txt'), '2')
  })
})

describe('buildSummary: the kernel section', () => {
  const kmsgResult = (status: CollectorResult['status'], error?: string): CollectorResult =>
    ({name: 'kmsg', status, startedAt: '2026-12-03T00:00:00.000Z', durationMs: 1, bytes: 0, truncated: false, files: [], ...(error ? {error} : {})})
  const meta = {id: 'id', hostname: 'h', kernel: 'k', start: new Date(0), end: new Date(1000), root: true}

  it('lists each problem kernelProblems found, counted', () => {
    const s = buildSummary([kmsgResult('ok')], {kernelProblems: ['OOM killer killed process 4242 (stress)', 'segfault in java'], nearlyFull: []}, meta)
    assert.match(s, /^Kernel warnings and errors \(2\):\n {2}- OOM killer killed process 4242 \(stress\)\n {2}- segfault in java$/m)
  })

  it('says none were found when the kernel log was read, and why not when it was not', () => {
    assert.match(buildSummary([kmsgResult('ok')], {kernelProblems: [], nearlyFull: []}, meta), /^Kernel warnings and errors: none found \(OOM kills/m)
    assert.doesNotMatch(buildSummary([kmsgResult('skipped', 'no kernel log device')], {kernelProblems: [], nearlyFull: []}, meta), /none found/)
  })
})
