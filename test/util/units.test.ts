import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {MAX_TIMER_MS, parseByteSize, parseDuration} from '../../src/util/units.js'
import {cli} from '../helpers/memlogd.js'

describe('units', () => {
  it('parses sizes with binary units, case-insensitive', () => {
    assert.equal(parseByteSize('4096'), 4096)
    assert.equal(parseByteSize('512k'), 512 * 1024)
    assert.equal(parseByteSize('64M'), 64 * 1024 ** 2)
    assert.equal(parseByteSize('16MiB'), 16 * 1024 ** 2)
    assert.equal(parseByteSize('1gb'), 1024 ** 3)
    assert.equal(parseByteSize('1.5M'), 1.5 * 1024 ** 2)
    assert.equal(parseByteSize('2T'), 2 * 1024 ** 4)
    assert.ok(parseByteSize('99999999999999999999T')! > Number.MAX_SAFE_INTEGER) // a size, if absurd: the flags bound it
    for (const bad of ['', 'big', '-1', '5ib', '1X', '1e3']) assert.equal(parseByteSize(bad), undefined, bad)
  })

  it('parses durations; a bare number is seconds', () => {
    assert.equal(parseDuration('30'), 30_000)
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration('250ms'), 250)
    assert.equal(parseDuration('2m'), 120_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('0'), 0)
    assert.ok(parseDuration('600h')! > MAX_TIMER_MS)
    for (const bad of ['', '-1', 'soon', '1d', '5 minutes']) assert.equal(parseDuration(bad), undefined, bad)
  })

  it('the flags refuse what a timer cannot hold, zero, and empty paths, in one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['diagnose', '--timeout', '99999999999'], /^diagkit diagnose: --timeout: must be at most 24 days, got "99999999999"/],
      [['diagnose', '--collector-timeout', '0'], /^diagkit diagnose: --collector-timeout: must be at least 1 ms, got "0"/],
      [['diagnose', '--max-file-size', '99999T'], /^diagkit diagnose: --max-file-size: must be at most 1099511627776 bytes, got "99999T"/],
      [['diagnose', '--max-file-size', 'huge'], /^diagkit diagnose: --max-file-size: expected a size such as 16MiB/],
      [['diagnose', '-o', ''], /^diagkit diagnose: --out-dir: must not be empty/],
      [['diagnose', '--include', ''], /^diagkit diagnose: --include: must not be empty/],
      [['logread', '--socket', ''], /^diagkit logread: --socket: must not be empty/],
      [['run', '--socket', '', '--', 'true'], /^diagkit run: --socket: must not be empty/],
      [['memlogd', '--socket-log', ''], /^diagkit memlogd: --socket-log: must not be empty/],
      [['memlogd', '--max-bytes', '12q'], /^diagkit memlogd: --max-bytes: expected a size such as 16MiB/],
      [['memlogd', '--client-timeout', '9999999999'], /^diagkit memlogd: .*--client-timeout/],
      [['kmsg', '--dump', '--device', ''], /^diagkit kmsg: --device: must not be empty/],
    ]
    for (const [args, pattern] of cases) {
      const r = await cli(args)
      assert.equal(r.code, 2, args.join(' '))
      assert.match(r.stderr, pattern, args.join(' '))
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
  })
})
