// The real CLI against a real memlogd, a log dir with rotated and gzipped
// files and the real /dev/kmsg; reports read back with Python's zipfile.

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {gunzipSync, gzipSync} from 'node:zlib'
import {acceptAndClose, BIN, pySend, type RunningDaemon, startMemlogd, waitForEntries} from '../helpers/memlogd.js'
import {diagnoseCli, isAlive, listTree, readZip, sha256, tempDir, text, type ZipFile} from './helpers.js'

const isRoot = process.getuid?.() === 0
const SECRET = `hunter2-${randomBytes(4).toString('hex')}`
const AWS = 'AKIAIOSFODNN7EXAMPLE'
const MARKER = `diagkit-kmsg-marker-${randomBytes(4).toString('hex')}`

interface Manifest {
  id: string
  commandLine: string[]
  host: {uuid: string}
  redaction: {enabled: boolean; total: number}
  collectors: {name: string; status: string; error?: string; files: string[]; truncated: boolean; bytes: number}[]
  files: {name: string; sha256: string; bytes: number; truncated: boolean; redactions: number; originalBytes?: number; error?: string}[]
}

const collector = (m: Manifest, name: string) => {
  const c = m.collectors.find((x) => x.name === name)
  assert.ok(c, `no collector ${name}`)
  return c
}

/** Checks the invariants every report has; returns the parsed zip and manifest. */
function checkReport(file: string): {m: Manifest; z: ZipFile} {
  const z = readZip(file)
  assert.equal(z.bad, null, 'a CRC error in the zip')
  for (const n of z.names) {
    assert.ok(!n.startsWith('/') && !n.split('/').includes('..'), `unsafe entry name ${n}`)
  }
  const m = JSON.parse(text(z, 'manifest.json')) as Manifest
  // Every entry except the manifest is listed with its exact size and sha256, and nothing else is.
  assert.deepEqual(m.files.map((f) => f.name).sort(), z.names.filter((n) => n !== 'manifest.json').sort())
  for (const f of m.files) {
    const data = z.files.get(f.name)!
    assert.equal(f.bytes, data.length, `bytes of ${f.name}`)
    assert.equal(f.sha256, sha256(data), `sha256 of ${f.name}`)
  }
  assert.ok(z.names.includes('summary.txt'))
  return {m, z}
}

function reportPath(stdout: string): string {
  const m = /^Report: +(.+\.zip)$/m.exec(stdout)
  assert.ok(m, `no report path in: ${stdout}`)
  return m[1]
}

describe('diagnose end to end', () => {
  let daemon: RunningDaemon
  let logDir: string
  let outDir: string

  before(async () => {
    daemon = await startMemlogd()
    // Known entries from two services, a secret among them, and a hostile source name.
    const sent = await pySend(daemon.logSock, 'web', 'pipe', undefined, ['hello from web\n', `login password=${SECRET}\n`])
    assert.equal(sent.code, 0, sent.stderr)
    assert.equal((await pySend(daemon.logSock, 'db.out', 'pipe', undefined, ['ready\n'])).code, 0)
    assert.equal((await pySend(daemon.logSock, '../../evil', 'pipe', undefined, ['sneaky\n'])).code, 0)
    await waitForEntries(daemon.querySock, (e) => e.source !== 'memlogd', 4)

    logDir = tempDir()
    fs.writeFileSync(path.join(logDir, 'svc.log'), 'current line\n')
    fs.writeFileSync(path.join(logDir, 'svc.log.0'), `rotated zero Authorization: Bearer ${SECRET}\n`)
    fs.writeFileSync(path.join(logDir, 'svc.log.1.gz'), gzipSync(`old gz line\nkey ${AWS}\n`))
    fs.writeFileSync(path.join(logDir, 'big.log'), Array.from({length: 1000}, (_, i) => `big line ${String(i).padStart(4, '0')}\n`).join(''))
    fs.writeFileSync(path.join(logDir, 'unrelated.txt'), 'not a logwrite file\n')
    fs.symlinkSync('/etc/hostname', path.join(logDir, 'link.log'))
    // A plain warning: a fake OOM kill would show up in every later report on this machine.
    if (isRoot) fs.writeFileSync('/dev/kmsg', `<4>${MARKER} test record from diagkit's test suite\n`)
    outDir = tempDir()
  })

  after(async () => {
    await daemon?.stop()
  })

  it('collects memlogd, rotated files, kmsg and system facts into a checked zip', async () => {
    const r = await diagnoseCli([
      '-o', outDir, '--socket', daemon.querySock, '--log-dir', logDir, '--max-file-size', '4k',
      '--command', `planted=echo token=${SECRET}; echo to-stderr >&2`, '--include', path.join(logDir, 'unrelated.txt'),
    ])
    assert.equal(r.code, 0, r.stderr)
    const file = reportPath(r.stdout)
    const {m, z} = checkReport(file)

    // Name and ID: <out>/<host UUID>/<YYYYMMDDHHMMSS>.zip, ID printed.
    const rel = path.relative(outDir, file)
    assert.match(rel, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/\d{14}\.zip$/)
    assert.equal(m.id, rel.replace(/\.zip$/, ''))
    assert.match(r.stdout, new RegExp(`^Diagnostics ID: ${m.id}$`, 'm'))
    assert.match(r.stdout, new RegExp(`^SHA-256: +${sha256(fs.readFileSync(file))}$`, 'm'))
    assert.match(r.stdout, new RegExp(`\\(${fs.statSync(file).size} bytes\\)`))
    assert.deepEqual(listTree(outDir), [rel], 'only the report is left (no .partial)')
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)

    // memlogd: per-source text files and the raw NDJSON.
    assert.equal(collector(m, 'memlogd').status, 'ok')
    assert.match(text(z, 'logs/memlogd/web.log'), /^\S+Z web hello from web\n\S+Z web login password=\[REDACTED\]\n$/)
    assert.match(text(z, 'logs/memlogd/db.out.log'), /^\S+Z db\.out ready\n$/)
    const evil = z.names.filter((n) => n.startsWith('logs/memlogd/') && n !== 'logs/memlogd/memlogd.ndjson' && text(z, n).includes('sneaky'))
    assert.equal(evil.length, 1)
    assert.equal(path.posix.dirname(evil[0]), 'logs/memlogd')
    const ndjson = text(z, 'logs/memlogd/memlogd.ndjson').trim().split('\n').map((l) => JSON.parse(l) as {source: string; msg: string})
    assert.deepEqual(
      ndjson.filter((e) => e.source !== 'memlogd').map((e) => `${e.source}:${e.msg}`).sort(),
      ['../../evil:sneaky', 'db.out:ready', 'web:hello from web', 'web:login password=[REDACTED]'],
    )

    // Rotated files under their own names; gz decompresses; symlinks and other names skipped; cap keeps the tail.
    assert.equal(text(z, 'logs/files/svc.log'), 'current line\n')
    assert.equal(text(z, 'logs/files/svc.log.0'), 'rotated zero Authorization: Bearer [REDACTED]\n')
    assert.equal(gunzipSync(z.files.get('logs/files/svc.log.1.gz')!).toString(), 'old gz line\nkey [REDACTED]\n')
    assert.ok(!z.names.includes('logs/files/unrelated.txt') && !z.names.includes('logs/files/link.log'))
    const big = text(z, 'logs/files/big.log')
    assert.ok(big.length <= 4096 && big.endsWith('big line 0999\n') && /^big line \d{4}\n/.test(big), 'tail from a line start')
    const bigRec = m.files.find((f) => f.name === 'logs/files/big.log')!
    assert.equal(bigRec.truncated, true)
    assert.equal(bigRec.originalBytes, 14_000)
    assert.equal(collector(m, 'log-files').truncated, true)

    // Commands: cmd/out/err files; the command line in the manifest is redacted too.
    assert.equal(text(z, 'extra/commands/planted.txt'), 'token=[REDACTED]\n')
    assert.equal(text(z, 'extra/commands/planted.err.txt'), 'to-stderr\n')
    assert.match(text(z, 'extra/commands/planted.cmd.txt'), /^sh -c 'echo token=\[REDACTED\]; echo to-stderr >&2'\n# exit status 0/)
    assert.ok(m.commandLine.some((a) => a === 'planted=echo token=[REDACTED]; echo to-stderr >&2'), JSON.stringify(m.commandLine))
    assert.equal(text(z, `extra/files${logDir}/unrelated.txt`), 'not a logwrite file\n')
    for (const name of ['uname', 'df', 'ps', 'sysctl']) {
      assert.ok(z.names.includes(`system/${name}.cmd.txt`) && z.names.includes(`system/${name}.txt`), name)
    }
    assert.match(text(z, 'system/uname.txt'), /^Linux /)
    assert.match(text(z, 'system/meminfo.txt'), /^MemTotal:/)

    // Redaction: the planted values are nowhere; counts per file.
    for (const [n, data] of z.files) {
      assert.ok(!data.includes(SECRET) && !data.includes(AWS), `secret left in ${n}`)
    }
    const counts = Object.fromEntries(m.files.filter((f) => f.redactions > 0).map((f) => [f.name, f.redactions]))
    assert.equal(counts['logs/memlogd/web.log'], 1)
    assert.equal(counts['logs/files/svc.log.0'], 1)
    assert.equal(counts['logs/files/svc.log.1.gz'], 1)
    assert.equal(counts['extra/commands/planted.txt'], 1)
    assert.equal(counts["logs/memlogd/memlogd.ndjson"], 1)
    assert.equal(m.redaction.enabled, true)
    assert.equal(m.redaction.total, Object.values(counts).reduce((a, b) => a + b, 0))
    // ps may also have caught (and redacted) this very command line.
    assert.ok(m.redaction.total >= 5, JSON.stringify(counts))

    // Kernel log with the marker, and the OOM kill in the summary.
    const summary = text(z, 'summary.txt')
    assert.match(summary, /memlogd: \d+ entries in the ring/)
    assert.match(summary, /Disks nearly full:/)
    if (isRoot) {
      assert.equal(collector(m, 'kmsg').status, 'ok')
      assert.match(text(z, 'kernel/kmsg.txt'), new RegExp(`^\\(\\d+\\) - \\S+Z: ${MARKER} test record`, 'm'))
      const records = JSON.parse(text(z, 'kernel/kmsg.json')) as {text: string; level: number}[]
      assert.equal(records.find((x) => x.text.startsWith(MARKER))?.level, 4)
      // Which records count as problems: kernelProblems' tests; how they are listed: buildSummary's.
      assert.match(summary, /^Kernel warnings and errors/m)
    }
  })

  it('--no-redact keeps the values; --json prints only the result', async () => {
    const out = tempDir()
    const r = await diagnoseCli(['-o', out, '--socket', daemon.querySock, '--log-dir', logDir, '--skip', 'system/', '--no-redact', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const res = JSON.parse(r.stdout) as {id: string; path: string; bytes: number; sha256: string; redactions: null; counts: Record<string, number>}
    assert.equal(res.path, path.join(out, `${res.id}.zip`))
    assert.equal(res.bytes, fs.statSync(res.path).size)
    assert.equal(res.sha256, sha256(fs.readFileSync(res.path)))
    assert.equal(res.redactions, null)
    const {m, z} = checkReport(res.path)
    assert.equal(m.redaction.enabled, false)
    assert.ok(text(z, 'logs/memlogd/web.log').includes(`password=${SECRET}`))
    assert.ok(text(z, 'logs/files/svc.log.0').includes(SECRET))
    // Copied as is: the very same gzip bytes.
    assert.deepEqual(z.files.get('logs/files/svc.log.1.gz'), fs.readFileSync(path.join(logDir, 'svc.log.1.gz')))
    assert.ok(!m.collectors.some((c) => c.name.startsWith('system/')))
  })
})

describe('diagnose when things go wrong', () => {
  it('without memlogd or a log dir, and with an unreadable kmsg device: a report all the same', async () => {
    const out = tempDir()
    const dir = tempDir()
    const r = await diagnoseCli(['-o', out, '--socket', path.join(dir, 'none.sock'), '--log-dir', path.join(dir, 'nolog'), '--kmsg-device', path.join(dir, 'nokmsg'), '--skip', 'system/'])
    assert.equal(r.code, 0, r.stderr)
    const {m, z} = checkReport(reportPath(r.stdout))
    assert.equal(collector(m, 'memlogd').status, 'skipped')
    assert.match(collector(m, 'memlogd').error!, /memlogd is not running: .*no such socket/)
    assert.equal(collector(m, 'log-files').status, 'skipped')
    assert.equal(collector(m, 'kmsg').status, 'skipped')
    assert.match(text(z, 'summary.txt'), /memlogd: not collected \(memlogd is not running/)
    assert.match(text(z, 'summary.txt'), /Kernel log: not collected \(no kernel log device/)
  })

  it('a query socket that accepts and closes at once: memlogd recorded as failed, a whole report, no .partial left', async () => {
    const out = tempDir()
    const dir = tempDir()
    const sock = path.join(dir, 'closer.sock')
    const peer = await acceptAndClose(sock)
    try {
      const r = await diagnoseCli(['-o', out, '--socket', sock, '--log-dir', path.join(dir, 'nolog'), '--skip', 'system/', '--skip', 'kmsg'])
      assert.equal(r.code, 0, r.stderr)
      const {m} = checkReport(reportPath(r.stdout))
      const c = collector(m, 'memlogd')
      // Gone before the request (EPIPE) or while reading (ECONNRESET): either way a failed collector.
      assert.ok(c.status === 'failed' || (c.status === 'ok' && c.bytes === 0), `${c.status}: ${c.error}`)
      if (c.status === 'failed') assert.match(c.error!, /memlogd at .*closer\.sock/)
      assert.deepEqual(listTree(out).filter((f) => f.endsWith('.partial')), [])
    } finally {
      await peer.close()
    }
  })

  it('as an unprivileged user: no /dev/kmsg access is recorded, the report is still written', async (t) => {
    if (!isRoot) return t.skip('needs root to switch to user nobody')
    const out = tempDir()
    fs.chmodSync(out, 0o777)
    const home = tempDir()
    fs.chmodSync(home, 0o777)
    const r = await diagnoseCli(['-o', out, '--socket', path.join(out, 'none.sock'), '--log-dir', path.join(out, 'nolog'), '--skip', 'system/'], {
      uid: 65534,
      gid: 65534,
      env: {...process.env, HOME: home, XDG_STATE_HOME: path.join(home, 'state')},
    })
    if (fs.readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() !== '1') return t.skip('kernel.dmesg_restrict is 0: anyone may read /dev/kmsg')
    assert.equal(r.code, 0, r.stderr)
    const {m} = checkReport(reportPath(r.stdout))
    assert.equal(collector(m, 'kmsg').status, 'skipped')
    assert.equal(collector(m, 'kmsg').error, 'cannot read /dev/kmsg: permission denied (needs root or CAP_SYSLOG)')
  })

  it('a hanging command hits its timeout; its whole process group is killed; the report is on time', async () => {
    const out = tempDir()
    const pidFile = path.join(out, 'pid')
    const r = await diagnoseCli([
      '-o', out, '--socket', path.join(out, 'none.sock'), '--log-dir', path.join(out, 'nolog'), '--skip', 'system/', '--skip', 'kmsg',
      '--collector-timeout', '1s', '--command', `hang=sleep 100 & echo $! > ${pidFile}; echo started; wait`, '--command', 'quick=echo fine',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.ms < 8000, `took ${r.ms} ms`)
    const {m, z} = checkReport(reportPath(r.stdout.replace(/^\s+/, '')))
    const hang = collector(m, 'command:hang')
    assert.equal(hang.status, 'timed-out')
    assert.equal(hang.error, 'timed out after 1s')
    assert.equal(text(z, 'extra/commands/hang.txt'), 'started\n')
    assert.match(text(z, 'extra/commands/hang.cmd.txt'), /# killed after 1(\.\d)?s \(timeout\), \d+ ms/)
    assert.equal(collector(m, 'command:quick').status, 'ok')
    assert.equal(text(z, 'extra/commands/quick.txt'), 'fine\n')
    const pid = Number(fs.readFileSync(pidFile, 'utf8'))
    assert.equal(isAlive(pid), false, 'the background sleep survived')
    assert.match(text(z, 'summary.txt'), /Timed out:\n {2}- command:hang: timed out after 1s/)
  })

  it('the overall deadline stops collectors that are still running', async () => {
    const out = tempDir()
    const r = await diagnoseCli([
      '-o', out, '--socket', path.join(out, 'none.sock'), '--log-dir', path.join(out, 'nolog'), '--skip', 'system/', '--skip', 'kmsg',
      '--collector-timeout', '60s', '--timeout', '1s', '--command', 'hang=sleep 100',
    ])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.ms < 8000, `took ${r.ms} ms`)
    const {m} = checkReport(reportPath(r.stdout))
    assert.equal(collector(m, 'command:hang').status, 'timed-out')
    assert.equal(collector(m, 'command:hang').error, 'overall deadline of 1s reached')
  })

  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${sig} mid-run leaves no partial file and exits ${code}`, async () => {
      const out = tempDir()
      const started = path.join(out, '..', `${path.basename(out)}-started`)
      const p = spawn(process.execPath, [BIN, 'diagnose',
        '-o', out, '--socket', path.join(out, 'none.sock'), '--log-dir', path.join(out, 'nolog'), '--skip', 'system/',
        '--command', `hang=touch ${started}; sleep 100`,
      ], {stdio: ['ignore', 'pipe', 'pipe']})
      let stderr = ''
      p.stderr.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => p.once('exit', resolve))
      const killer = setTimeout(() => p.kill('SIGKILL'), 20_000)
      try {
        const t0 = Date.now()
        while (!fs.existsSync(started)) {
          assert.ok(Date.now() - t0 < 10_000, 'the command never started')
          await new Promise((r) => setTimeout(r, 20))
        }
        assert.ok(listTree(out).some((f) => f.endsWith('.zip.partial')), 'a partial file exists while running')
        p.kill(sig)
        assert.equal(await exited, code)
        assert.deepEqual(listTree(out), [])
        assert.deepEqual(fs.readdirSync(out), [], 'the host directory it created is gone too')
        assert.match(stderr, new RegExp(`interrupted by ${sig}; no report written`))
      } finally {
        clearTimeout(killer)
        p.kill('SIGKILL')
        fs.rmSync(started, {force: true})
      }
    })
  }

  it('rejects bad flags with one clear line and exit 2', async () => {
    const bad: [string[], RegExp][] = [
      [['--command', 'nameonly'], /--command: expected NAME=CMD/],
      [['--command', '../x=ls'], /--command: expected NAME=CMD/],
      [['--command', 'a=ls', '--command', 'a=pwd'], /the name a is given twice/],
      [['--max-file-size', 'huge'], /--max-file-size: expected a size/],
      [['--max-file-size', '10'], /--max-file-size: must be at least 1024 bytes, got "10"/],
      [['--timeout', 'soon'], /--timeout: expected a duration such as 500ms, 30s, 2m or 1h, got "soon"/],
      [['--timeout', '99999999999'], /--timeout: must be at most 24 days/],
      [['--collector-timeout', '0'], /--collector-timeout: must be at least 1 ms/],
      [['--redact', '(oops'], /invalid --redact pattern/],
      [['--redact', 'x*'], /matches the empty string/],
      [['--include', ''], /--include: must not be empty/],
      [['--socket', ''], /--socket: must not be empty/],
      [['--skip', 'sytem/'], /^diagkit diagnose: --skip "sytem\/": no such collector \(collectors: memlogd, log-files, kmsg, system\//],
    ]
    for (const [args, msg] of bad) {
      const out = tempDir()
      const r = await diagnoseCli(['-o', out, '--skip', 'system/', ...args])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, msg)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.deepEqual(listTree(out), [], 'nothing written')
    }
  })
})
