import {execFileSync} from 'node:child_process'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'
import {formatNs, formatRecordTime, recordTimeNs} from '../../src/kmsg/time.js'
import {
  bootTimeNs, bootTimeNsAtStart, currentBootId, FilterError, formatCtime, formatHumanLine, formatLinuxkitLine, kernelProblems, lineText, lostRecord,
  matches, parseFacilities, parseKmsgRecord, parseLevels, parseSince, readState, recordToJson, resumeAfter, StateFileError, writeState,
} from '../../src/kmsg/index.js'

// 2026-12-03T15:20:00Z as Unix ns, plus 123 ns so sub-µs digits show.
const BOOT = 1_796_311_200_000_000_123n

describe('formatLinuxkitLine', () => {
  it('"(<seq>) - <RFC 3339 nano>: <text>" with boot time + usec', () => {
    const r = parseKmsgRecord('6,339,5140900,-;NET: Registered protocol family 10\n')
    assert.equal(formatLinuxkitLine(r, BOOT), '(339) - 2026-12-03T15:20:05.140900123Z: NET: Registered protocol family 10')
  })
  it('trailing zeros of the fraction are trimmed (Go RFC3339Nano)', () => {
    const r = parseKmsgRecord('6,1,1500000,-;x\n')
    assert.equal(formatLinuxkitLine(r, 1_796_311_200_000_000_000n), '(1) - 2026-12-03T15:20:01.5Z: x')
  })
  it('keeps \\xNN escapes and never emits a raw control byte', () => {
    const r = parseKmsgRecord('4,77,1000,-;a\\x0ab\n')
    assert.equal(formatLinuxkitLine(r, 0n), '(77) - 1970-01-01T00:00:00.001Z: a\\x0ab')
    const raw = parseKmsgRecord(Buffer.from('6,1,0,-;x\ry\x1b[2J\x7f\xff\n', 'latin1'))
    assert.equal(lineText(raw.text), 'x\\x0dy\\x1b[2J\\x7f\\xff')
    assert.equal(lineText('a\u2028b'), 'a\\u{2028}b')
  })
  it('dictionary never becomes its own line', () => {
    const line = formatLinuxkitLine(parseKmsgRecord('6,5,1,-;usb up\n SUBSYSTEM=usb\n DEVICE=c189:1\n'), 0n)
    assert.equal(line, '(5) - 1970-01-01T00:00:00.000001Z: usb up')
  })
})

describe('formatRecordTime (Number fast path)', () => {
  it('matches the BigInt computation, including the nanosecond carry and huge usec', () => {
    for (const boot of [BOOT, 1_796_311_200_999_999_999n, 0n]) {
      for (const usec of [0n, 1n, 999_999n, 1_000_000n, 5_140_900n, 123_456_789_012n, 9_007_199_254_740_991n, 18_000_000_000_000_000_000n]) {
        assert.equal(formatRecordTime(usec, boot), formatNs(recordTimeNs(usec, boot)), `${boot} + ${usec}`)
      }
    }
    assert.equal(formatRecordTime(1n, 1_796_311_200_999_999_999n), '2026-12-03T15:20:01.000000999Z')
    // Past year 9999 (a nonsense usec from a broken device): Unix seconds instead of a crash.
    assert.equal(formatRecordTime(18_000_000_000_000_000_000n, 0n), '@18000000000000.000000000')
  })
})

describe('formatHumanLine', () => {
  it('dmesg layout: seconds padded to 5, microseconds to 6', () => {
    assert.equal(formatHumanLine(parseKmsgRecord('6,1,5140900,-;hi\n')), '[    5.140900] hi')
    assert.equal(formatHumanLine(parseKmsgRecord('6,1,0,-;boot\n')), '[    0.000000] boot')
    assert.equal(formatHumanLine(parseKmsgRecord('6,1,123456789012,-;long up\n')), '[123456.789012] long up')
  })
  it('ctime uses local wall-clock time', () => {
    const r = parseKmsgRecord('6,1,2000000,-;t\n')
    const boot = BigInt(new Date(2026, 11, 3, 9, 5, 7).getTime()) * 1_000_000n
    assert.equal(formatHumanLine(r, {ctime: true, bootTimeNs: boot}), '[Thu Dec  3 09:05:09 2026] t')
    assert.throws(() => formatHumanLine(r, {ctime: true}), TypeError)
  })
  it('formatCtime pads the day with a space like ctime(3)', () => {
    assert.equal(formatCtime(new Date(2025, 0, 5, 23, 59, 1)), 'Sun Jan  5 23:59:01 2025')
  })
  it('colours come from the injected painter, by level', () => {
    const colors = {time: (s: string) => `<t>${s}</t>`, level: (lv: number, s: string) => `<${lv}>${s}`}
    assert.equal(formatHumanLine(parseKmsgRecord('3,1,1,-;bad\n'), {colors}), '<t>[    0.000001]</t> <3>bad')
  })
})

describe('recordToJson', () => {
  it('every field, seq as a string, usec raw, text decoded', () => {
    const r = parseKmsgRecord('12,18446744073709551615,5140900,-,caller=T1;caf\\xc3\\xa9\\x0anext\n DEVICE=+pci:0\n NAME=a\\x5cb\n')
    assert.deepEqual(recordToJson(r, BOOT), {
      seq: '18446744073709551615', time: '2026-12-03T15:20:05.140900123Z', usec: 5140900, facility: 1, level: 4,
      flags: '-', text: 'caf\u00e9\nnext', dict: {DEVICE: '+pci:0', NAME: 'a\\b'},
    })
    assert.equal(JSON.stringify(recordToJson(r, BOOT)).includes('\n'), false)
  })
  it('the synthetic lost record carries its range', () => {
    const j = recordToJson(lostRecord(11n, 14n, 99n), 0n)
    assert.deepEqual(j.lost, {first: '11', last: '14'})
    assert.equal(j.seq, '14')
    assert.deepEqual(recordToJson(lostRecord(undefined, 4n, 1n), 0n).lost, {last: '4'})
  })
})

describe('bootTimeNs', () => {
  it('is realtime minus monotonic, finer than a millisecond and stable', () => {
    const a = bootTimeNs()
    const b = bootTimeNs()
    const nowNs = BigInt(Date.now()) * 1_000_000n
    const uptimeNs = BigInt(Math.round(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e9))
    // Within 50 ms of what /proc/uptime (10 ms resolution) says, and two samples agree within 1 ms.
    const diff = nowNs - uptimeNs - a
    assert.ok(diff > -50_000_000n && diff < 50_000_000n, `boot time off by ${diff} ns`)
    assert.ok((a > b ? a - b : b - a) < 1_000_000n)
    assert.notEqual(a % 1_000_000n, 0n) // not rounded to ms (1 in 10^6 chance of a false failure)
  })
  it('the addon-free variant used by --dump agrees with the addon within 2 ms, at µs precision', () => {
    const a = bootTimeNs()
    const s = bootTimeNsAtStart()
    assert.ok((a > s ? a - s : s - a) < 2_000_000n, `differ by ${a - s} ns`)
    assert.notEqual(s % 1_000_000n, 0n)
  })
})

describe('filters', () => {
  it('levels by name, alias, number, and the dmesg +/- forms', () => {
    assert.deepEqual([...parseLevels('err,warn')].sort(), [3, 4])
    assert.deepEqual([...parseLevels('warning, error ,7')].sort(), [3, 4, 7])
    assert.deepEqual([...parseLevels('err+')].sort(), [0, 1, 2, 3])
    assert.deepEqual([...parseLevels('+notice')].sort(), [5, 6, 7])
    assert.deepEqual([...parseLevels('EMERG')], [0])
  })
  it('bad levels are refused with the list of names', () => {
    assert.throws(() => parseLevels('loud'), /unknown level "loud" \(one of: emerg, alert, crit, err, warn, notice, info, debug\)/)
    assert.throws(() => parseLevels('8'), FilterError)
    assert.throws(() => parseLevels('err,'), /empty level/)
    assert.throws(() => parseLevels('+'), FilterError)
  })
  it('facilities by name and number', () => {
    assert.deepEqual([...parseFacilities('kern,daemon')].sort((a, b) => a - b), [0, 3])
    assert.deepEqual([...parseFacilities('local7,1')].sort((a, b) => a - b), [1, 23])
    assert.throws(() => parseFacilities('kernel'), /unknown facility "kernel"/)
    assert.throws(() => parseFacilities('24'), FilterError)
  })
  it('since: absolute RFC 3339 with nanoseconds, and durations ago', () => {
    assert.equal(parseSince('2026-12-03T15:20:05.140900123Z', 0n), 1_796_311_205_140_900_123n)
    assert.equal(parseSince('2026-12-03T16:20:05+01:00', 0n), 1_796_311_205_000_000_000n)
    const now = 1_000_000_000_000_000_000n
    assert.equal(parseSince('10m', now), now - 600_000_000_000n)
    assert.equal(parseSince('2h ago', now), now - 7_200_000_000_000n)
    assert.equal(parseSince('1d', now), now - 86_400_000_000_000n)
    assert.throws(() => parseSince('yesterday', now), /--since "yesterday" is not a time/)
    assert.throws(() => parseSince('2026-13-45T00:00:00Z', now), FilterError)
    assert.throws(() => parseSince('10 parsecs', now), FilterError)
  })
  it('matches applies every filter; lost records always pass', () => {
    const r = parseKmsgRecord('27,1,5000000,-;daemon err\n') // daemon.err at boot+5s
    assert.equal(matches(r, {levels: new Set([3]), facilities: new Set([3])}), true)
    assert.equal(matches(r, {levels: new Set([4])}), false)
    assert.equal(matches(r, {facilities: new Set([0])}), false)
    assert.equal(matches(r, {sinceNs: 5_000_000_000n, bootTimeNs: 0n}), true)
    assert.equal(matches(r, {sinceNs: 5_000_000_001n, bootTimeNs: 0n}), false)
    assert.equal(matches(lostRecord(1n, 2n, 0n), {levels: new Set([0]), sinceNs: 9n ** 30n}), true)
  })
})

describe('state file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmsg-state-'))
  it('round-trips a 64-bit seq with the boot id, atomically', () => {
    const f = path.join(dir, 'a.state')
    assert.equal(readState(f), undefined)
    writeState(f, {bootId: 'b1', seq: 18446744073709551615n})
    assert.deepEqual(readState(f), {bootId: 'b1', seq: 18446744073709551615n})
    assert.deepEqual(fs.readdirSync(dir), ['a.state']) // no temp file left behind
  })
  it('resumes only within the same boot', () => {
    assert.equal(resumeAfter({bootId: 'b1', seq: 5n}, 'b1'), 5n)
    assert.equal(resumeAfter({bootId: 'b0', seq: 5n}, 'b1'), undefined)
    assert.equal(resumeAfter(undefined, 'b1'), undefined)
    assert.equal(resumeAfter({bootId: '', seq: 5n}, ''), undefined)
    assert.match(currentBootId(), /^[0-9a-f-]{36}$/)
  })
  it('refuses files that are not state files', () => {
    const f = path.join(dir, 'bad')
    for (const text of ['not json', '{"bootId":"x"}', '{"bootId":"x","seq":5}', '{"bootId":"x","seq":"-1"}', 'null']) {
      fs.writeFileSync(f, text)
      assert.throws(() => readState(f), StateFileError, text)
    }
    assert.throws(() => readState(dir), /^StateFileError: state file .* is not a regular file; choose a file path$/)
  })
  it('refuses, before reading, a FIFO, a device and a place it cannot write', () => {
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    assert.throws(() => readState(fifo), {name: 'StateFileError', message: `state file ${fifo} is not a regular file; choose a file path`})
    assert.throws(() => readState('/dev/null'), {message: 'state file /dev/null is not a regular file; choose a file path'})
    assert.throws(() => readState(path.join(dir, 'missing-dir', 'state')), {message: `cannot write state file ${path.join(dir, 'missing-dir', 'state')}: ENOENT`})
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), [])
  })
})

describe('kernelProblems', () => {
  const recs = [
    '3,1,1,-;Out of memory: Killed process 4242 (stress) total-vm:1000kB, anon-rss:900kB',
    '3,2,2,-;Memory cgroup out of memory: Killed process 77 (java) total-vm:1kB',
    '6,3,3,-;app[311]: segfault at 0 ip 000055d0 sp 00007ffd error 4 in app[55d0+1000]',
    '3,4,4,-;INFO: task kworker/0:1:55 blocked for more than 120 seconds.',
    '3,5,5,-;blk_update_request: I/O error, dev sda, sector 2048 op 0x0:(READ)',
    '3,6,6,-;Buffer I/O error on dev sda1, logical block 0, async page read',
    '3,7,7,-;blk_update_request: I/O error, dev sda, sector 4096 op 0x0:(READ)',
    '4,8,8,-;WARNING: CPU: 1 PID: 9 at drivers/net/foo.c:123 foo_xmit+0x10/0x20',
    '1,9,9,-;BUG: kernel NULL pointer dereference, address: 0000000000000000',
    '0,10,10,-;Kernel panic - not syncing: Fatal exception',
    '3,11,11,-;EXT4-fs error (device vda1): ext4_lookup:1700: inode #2: comm ls: deleted inode referenced: 12',
    '6,12,12,-;eth0: link up',
    '6,13,13,-;process [12]: segfault handler installed', // not a segfault report
  ].map((s) => parseKmsgRecord(`${s}\n`))
  it('names each kind once, counting repeats', () => {
    assert.deepEqual(kernelProblems(recs), [
      'OOM killer killed process 4242 (stress)',
      'OOM killer killed process 77 (java)',
      'segfault: app[311] at 0',
      'hung task: kworker/0:1:55 blocked for more than 120 s',
      'I/O error on sda (2 times)',
      'I/O error on sda1',
      'kernel WARNING at drivers/net/foo.c:123 foo_xmit+0x10/0x20',
      'kernel BUG: kernel NULL pointer dereference, address: 0000000000000000',
      'kernel panic: Fatal exception',
      'filesystem error: EXT4-fs error (device vda1)',
    ])
  })
  it('nothing to say about a quiet log, nor about lost-record notes', () => {
    assert.deepEqual(kernelProblems([parseKmsgRecord('6,1,1,-;all good\n'), lostRecord(1n, 5n, 0n)]), [])
  })
})
