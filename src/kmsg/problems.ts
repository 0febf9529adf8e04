// Short descriptions of kernel trouble for diagnose's summary: OOM kills,
// segfaults, hung tasks, I/O errors, WARNING/BUG/Oops/panic. Matching is on
// the record text as the kernel wrote it; repeats are counted, not listed.
import type {KmsgRecord} from './record.js'

interface Rule {
  test: RegExp
  describe(m: RegExpExecArray): string
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

const RULES: Rule[] = [
  {test: /Killed process (\d+) \(([^)]*)\)/, describe: (m) => `OOM killer killed process ${m[1]} (${m[2]})`},
  {test: /^(\S+?)\[(\d+)\]: segfault at (\S+)/, describe: (m) => `segfault: ${m[1]}[${m[2]}] at ${m[3]}`},
  {test: /^(\S+?)\[(\d+)\]: general protection fault/, describe: (m) => `general protection fault: ${m[1]}[${m[2]}]`},
  {test: /^INFO: task (\S+?):(\d+) blocked for more than (\d+) seconds/, describe: (m) => `hung task: ${m[1]}:${m[2]} blocked for more than ${m[3]} s`},
  {test: /^Kernel panic - not syncing: ?(.*)$/, describe: (m) => `kernel panic: ${clip(m[1])}`},
  {test: /^(BUG: .*)$/, describe: (m) => `kernel ${clip(m[1])}`},
  {test: /^(kernel BUG at .*)$/, describe: (m) => clip(m[1])},
  {test: /^(Oops: .*)$/, describe: (m) => `kernel ${clip(m[1])}`},
  {test: /^(general protection fault.*)$/, describe: (m) => `kernel ${clip(m[1])}`},
  {test: /^WARNING: CPU: \d+ PID: \d+ at (\S+)(?: (\S+))?/, describe: (m) => `kernel WARNING at ${m[1]}${m[2] ? ` ${m[2]}` : ''}`},
  {test: /I\/O error,? (?:on )?dev(?:ice)? ([\w.-]+)/, describe: (m) => `I/O error on ${m[1]}`},
  {test: /^((?:EXT4|XFS|BTRFS|F2FS)[^:]*(?:error|corruption)[^:]*):/i, describe: (m) => `filesystem error: ${clip(m[1])}`},
]

export function kernelProblems(records: KmsgRecord[]): string[] {
  const counts = new Map<string, number>()
  for (const r of records) {
    if (r.lost) continue
    for (const rule of RULES) {
      const m = rule.test.exec(r.text)
      if (m) {
        const d = rule.describe(m)
        counts.set(d, (counts.get(d) ?? 0) + 1)
        break
      }
    }
  }
  return [...counts].map(([d, n]) => (n > 1 ? `${d} (${n} times)` : d))
}
