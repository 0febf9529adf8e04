// Benchmark: `diagkit diagnose` over a log dir of 200 MB of text logs versus
// `zip -r -6` over the same files, in the same run. Target: at most 1.5x.
// Both run as subprocesses, alternating, three rounds each; the median counts.
// Usage: npm run bench:diagnose [-- MB]

import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MB = Number(process.argv[2] ?? 200)
const ROUNDS = 3

function cliArgs(): string[] {
  return [path.join(ROOT, 'bin/run.js'), 'diagnose']
}

/** Log-like lines with varied content (so deflate has real work), rotated like logwrite leaves them. */
function generate(dir: string, totalBytes: number): number {
  const sources = ['containerd', 'dockerd', 'kubelet', 'sshd', 'app.out']
  const perFile = 8 * 1024 * 1024
  const words = 'request served handler cache miss retry backoff upstream connection reset pool worker queue flushed bytes latency ok error warn info debug'.split(' ')
  let seed = 12345
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  let written = 0
  let n = 0
  while (written < totalBytes) {
    const source = sources[n % sources.length]
    const index = Math.floor(n / sources.length)
    const name = index === 0 ? `${source}.log` : `${source}.log.${index - 1}`
    const lines: string[] = []
    let size = 0
    const t = Date.UTC(2026, 0, 1) + n * 1000
    while (size < perFile && written + size < totalBytes) {
      const ms = t + size
      const msg = Array.from({length: 6 + (rnd() % 10)}, () => words[rnd() % words.length]).join(' ')
      const line = `${new Date(ms).toISOString()} ${source} id=${rnd().toString(16)} ${msg} took=${rnd() % 5000}ms\n`
      lines.push(line)
      size += line.length
    }
    fs.writeFileSync(path.join(dir, name), lines.join(''))
    written += size
    n++
  }
  return written
}

function time(cmd: string, args: string[], cwd?: string): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {cwd, stdio: ['ignore', 'ignore', 'pipe']})
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dk-bench-'))
try {
  const logDir = path.join(work, 'logs')
  fs.mkdirSync(logDir)
  const bytes = generate(logDir, MB * 1024 * 1024)
  const files = fs.readdirSync(logDir).length
  console.log(`log dir: ${files} files, ${(bytes / 1024 / 1024).toFixed(0)} MiB; ${os.cpus().length} CPUs (shared: figures may be noisy)`)
  const zipT: number[] = []
  const dkT: number[] = []
  const dkNoRedactT: number[] = []
  let zipSize = 0
  let dkSize = 0
  for (let i = 0; i < ROUNDS; i++) {
    const zipOut = path.join(work, `z${i}.zip`)
    zipT.push(time('zip', ['-r', '-6', '-q', zipOut, '.'], logDir))
    zipSize = fs.statSync(zipOut).size
    fs.rmSync(zipOut)
    const out = path.join(work, `d${i}`)
    // Only the log files: the system facts and kernel log are not what is measured.
    const common = ['--log-dir', logDir, '--socket', path.join(work, 'none.sock'), '--skip', 'system/', '--skip', 'kmsg', '--max-file-size', '1G']
    dkT.push(time(process.execPath, [...cliArgs(), '-o', out, ...common]))
    const report = execFileSync('find', [out, '-name', '*.zip']).toString().trim()
    dkSize = fs.statSync(report).size
    fs.rmSync(out, {recursive: true})
    dkNoRedactT.push(time(process.execPath, [...cliArgs(), '-o', `${out}n`, ...common, '--no-redact']))
    fs.rmSync(`${out}n`, {recursive: true})
  }
  const z = median(zipT)
  const d = median(dkT)
  const dn = median(dkNoRedactT)
  console.log(`zip -r -6:                    ${z.toFixed(2)} s (runs ${zipT.map((x) => x.toFixed(2)).join(', ')}), ${(zipSize / 1024 / 1024).toFixed(1)} MiB`)
  console.log(`diagkit diagnose:             ${d.toFixed(2)} s (runs ${dkT.map((x) => x.toFixed(2)).join(', ')}), ${(dkSize / 1024 / 1024).toFixed(1)} MiB`)
  console.log(`diagkit diagnose --no-redact: ${dn.toFixed(2)} s (runs ${dkNoRedactT.map((x) => x.toFixed(2)).join(', ')})`)
  const ratio = d / z
  console.log(`ratio (redacting): ${ratio.toFixed(2)}x (target <= 1.5x): ${ratio <= 1.5 ? 'PASS' : 'FAIL'}`)
  process.exitCode = ratio <= 1.5 ? 0 : 1
} finally {
  fs.rmSync(work, {recursive: true, force: true})
}
