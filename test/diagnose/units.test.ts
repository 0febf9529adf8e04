import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {formatMachineId, hostUuid} from '../../src/diagnose/host-uuid.js'
import {safeEntryName, safeSegment, reportTimestamp} from '../../src/diagnose/names.js'
import {openSnapshot, readRange, tailPlan} from '../../src/diagnose/file-source.js'
import {TailBuffer} from '../../src/diagnose/tail.js'
import {nearlyFull} from '../../src/diagnose/collectors/system.js'
import {lostCount} from '../../src/diagnose/collectors/memlogd.js'
import {tempDir} from './helpers.js'

describe('entry names', () => {
  it('never keeps .., absolute paths or control characters', () => {
    assert.equal(safeEntryName('/etc/passwd'), 'etc/passwd')
    assert.equal(safeEntryName('logs/../../x'), 'logs/__/__/x')
    assert.equal(safeEntryName('a/./b//c'), 'a/b/c')
    assert.equal(safeSegment('a/b'), 'a_b')
    assert.equal(safeSegment('x\ny\u0000z'), 'x_y_z')
    assert.equal(safeSegment('..'), '__')
    assert.equal(safeSegment(''), '_')
    assert.equal(safeSegment('C:\\win'), 'C__win')
  })
  it('bounds a segment to 200 bytes keeping its end', () => {
    const s = safeSegment(`${'é'.repeat(300)}.log.1`)
    assert.ok(Buffer.byteLength(s) <= 200)
    assert.ok(s.endsWith('é.log.1'))
  })
  it('formats the UTC timestamp as YYYYMMDDHHMMSS', () => {
    assert.equal(reportTimestamp(new Date('2026-01-02T03:04:05.678Z')), '20260102030405')
  })
})

describe('TailBuffer', () => {
  it('keeps everything under the cap', () => {
    const t = new TailBuffer(100)
    t.push('a\n')
    t.push('b\n')
    assert.equal(t.toBuffer().toString(), 'a\nb\n')
    assert.equal(t.truncated, false)
  })
  it('keeps the newest data from a line start', () => {
    const t = new TailBuffer(10)
    for (let i = 0; i < 10; i++) t.push(`line${i}\n`)
    assert.equal(t.toBuffer().toString(), 'line9\n')
    assert.equal(t.truncated, true)
    assert.equal(t.total, 60)
  })
  it('keeps a whole line when the cut falls right after a newline', () => {
    const t = new TailBuffer(12)
    t.push('aaaa\nline8\nline9\n')
    assert.equal(t.toBuffer().toString(), 'line8\nline9\n')
  })
})

describe('reading files', () => {
  it('a rotation (rename + new file) during the read does not change what is read', async () => {
    const dir = tempDir()
    const p = path.join(dir, 'svc.log')
    fs.writeFileSync(p, 'old 1\nold 2\n')
    const snap = await openSnapshot(p)
    fs.renameSync(p, `${p}.0`)
    fs.writeFileSync(p, 'new\n')
    const chunks: Buffer[] = []
    for await (const c of readRange(snap.fh, tailPlan(snap.size, 1 << 20), new AbortController().signal, () => {})) chunks.push(c)
    assert.equal(Buffer.concat(chunks).toString(), 'old 1\nold 2\n')
  })
  it('reads only the tail from a line start, and stops at the size seen at open', async () => {
    const dir = tempDir()
    const p = path.join(dir, 'x.log')
    fs.writeFileSync(p, 'aaaa\nbbbb\ncccc\n')
    const snap = await openSnapshot(p)
    fs.appendFileSync(p, 'dddd\n')
    const chunks: Buffer[] = []
    for await (const c of readRange(snap.fh, tailPlan(snap.size, 8), new AbortController().signal, () => {})) chunks.push(c)
    assert.equal(Buffer.concat(chunks).toString(), 'cccc\n')
  })
  it('refuses symlinks and non-regular files', async () => {
    const dir = tempDir()
    fs.symlinkSync('/etc/hostname', path.join(dir, 'l.log'))
    await assert.rejects(openSnapshot(path.join(dir, 'l.log')), {code: 'ELOOP'})
    await assert.rejects(openSnapshot(dir), {code: 'EINVAL'})
  })
})

describe('host UUID', () => {
  it('formats a machine-id as a UUID', () => {
    assert.equal(formatMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4\n'), '3d1219c7-c4c5-404a-aa1f-6d2a48adfda4')
    assert.equal(formatMachineId('uninitialized'), undefined)
    assert.equal(formatMachineId('0'.repeat(32)), undefined)
  })
  it('prefers machine-id, then the DMI UUID, then a stored one that stays the same', async () => {
    const dir = tempDir()
    const mid = path.join(dir, 'machine-id')
    const dmi = path.join(dir, 'product_uuid')
    const state = path.join(dir, 'state')
    fs.writeFileSync(mid, 'ABCDEF0123456789abcdef0123456789\n')
    fs.writeFileSync(dmi, 'EC2A1B2C-0000-1111-2222-333344445555\n')
    assert.deepEqual(await hostUuid({machineIdPath: mid, productUuidPath: dmi, stateDir: state}), {
      uuid: 'abcdef01-2345-6789-abcd-ef0123456789',
      origin: 'machine-id',
    })
    fs.writeFileSync(mid, '')
    assert.deepEqual(await hostUuid({machineIdPath: mid, productUuidPath: dmi, stateDir: state}), {
      uuid: 'ec2a1b2c-0000-1111-2222-333344445555',
      origin: 'dmi',
    })
    fs.writeFileSync(dmi, '00000000-0000-0000-0000-000000000000\n')
    const a = await hostUuid({machineIdPath: mid, productUuidPath: dmi, stateDir: state})
    const b = await hostUuid({machineIdPath: path.join(dir, 'none'), productUuidPath: path.join(dir, 'none'), stateDir: state})
    assert.equal(a.origin, 'stored')
    assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.deepEqual(b, a)
    assert.equal(fs.readFileSync(path.join(state, 'host-uuid'), 'utf8'), `${a.uuid}\n`)
  })
  it('replaces a corrupt stored file', async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'host-uuid'), 'garbage\n')
    const u = await hostUuid({machineIdPath: '/nonexistent', productUuidPath: '/nonexistent', stateDir: dir})
    assert.equal(u.origin, 'stored')
    assert.equal(fs.readFileSync(path.join(dir, 'host-uuid'), 'utf8'), `${u.uuid}\n`)
  })
})

describe('parsers', () => {
  it('df -P: mounts at or above 90 %', () => {
    const df = [
      'Filesystem     1024-blocks      Used Available Capacity Mounted on',
      '/dev/vda1         10000000   9500000    500000      95% /',
      'tmpfs               100000      1000     99000       1% /run',
      '/dev/vdb1          1000000    900000    100000      90% /mnt/my data',
      'proc                     0         0         0       -  /proc',
    ].join('\n')
    assert.deepEqual(nearlyFull(df, 'space'), [
      {mount: '/', usedPercent: 95, detail: '/dev/vda1: 95% used, 488.3 MiB free'},
      {mount: '/mnt/my data', usedPercent: 90, detail: '/dev/vdb1: 90% used, 97.7 MiB free'},
    ])
  })
  it('memlogd lost-line counts', () => {
    assert.equal(lostCount('client too slow: lost 12 lines'), 12)
    assert.equal(lostCount('dropped 3 entries for logread'), 3)
    assert.equal(lostCount('lost some'), undefined)
  })
})
