// The system facts every report carries. df's output is parsed for the
// summary's "disks nearly full".

import type {Collector, CollectorContext} from '../types.js'
import {commandCollector, fileCollector} from './command.js'

/** Used space or inodes at or above this share count as nearly full. */
export const NEARLY_FULL_PERCENT = 90

/** Parses `df -P` output (POSIX format) into mounts at or above the threshold. */
export function nearlyFull(stdout: string, kind: 'inodes' | 'space'): {mount: string; usedPercent: number; detail: string}[] {
  const out: {mount: string; usedPercent: number; detail: string}[] = []
  for (const line of stdout.split('\n').slice(1)) {
    // Filesystem, total, used, available, capacity, mount point (which may hold spaces).
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.+)$/.exec(line.trim())
    if (!m) continue
    const [, fs, total, , avail, pct, mount] = m
    if (Number(total) === 0) continue
    const used = Number(pct)
    if (used < NEARLY_FULL_PERCENT) continue
    const detail =
      kind === 'space' ? `${fs}: ${used}% used, ${formatKiB(Number(avail))} free` : `${fs}: ${used}% of inodes used, ${avail} free`
    out.push({mount, usedPercent: used, detail})
  }
  return out
}

function formatKiB(kib: number): string {
  if (kib >= 1024 * 1024) return `${(kib / 1024 / 1024).toFixed(1)} GiB`
  if (kib >= 1024) return `${(kib / 1024).toFixed(1)} MiB`
  return `${kib} KiB`
}

const inspectDf = (kind: 'inodes' | 'space') => (stdout: Buffer, ctx: CollectorContext) => {
  for (const f of nearlyFull(stdout.toString('utf8'), kind)) ctx.findings.nearlyFull.push({...f, kind})
}

export function systemCollectors(): Collector[] {
  const cmd = (name: string, argv: string[], inspect?: (stdout: Buffer, ctx: CollectorContext) => void) =>
    commandCollector({name: `system/${name}`, entry: `system/${name}`, argv, inspect})
  const file = (name: string, ...paths: string[]) => fileCollector({name: `system/${name}`, entry: `system/${name}`, paths})
  return [
    cmd('uname', ['uname', '-a']),
    file('os-release', '/etc/os-release', '/usr/lib/os-release'),
    cmd('uptime', ['uptime']),
    file('loadavg', '/proc/loadavg'),
    file('cpuinfo', '/proc/cpuinfo'),
    file('meminfo', '/proc/meminfo'),
    file('mounts', '/proc/self/mountinfo'),
    cmd('df', ['df', '-P', '-k'], inspectDf('space')),
    cmd('df-inodes', ['df', '-P', '-i'], inspectDf('inodes')),
    cmd('ps', ['ps', 'auxww']),
    cmd('ip-addr', ['ip', 'address', 'show']),
    cmd('ip-route', ['ip', 'route', 'show', 'table', 'all']),
    cmd('sysctl', ['sysctl', '-a']),
    file('limits', '/proc/self/limits'),
    cmd('ulimit', ['sh', '-c', 'ulimit -a']),
  ]
}
