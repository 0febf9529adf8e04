// summary.txt: what a support engineer should look at first.

import type {CollectorResult, Findings} from './types.js'

export interface SummaryMeta {
  id: string
  hostname: string
  kernel: string
  start: Date
  end: Date
  redactionTotal?: number
  redactedFiles?: number
  root: boolean
}

export function buildSummary(results: CollectorResult[], f: Findings, meta: SummaryMeta): string {
  const out: string[] = []
  const line = (s = '') => out.push(s)
  line(`diagkit diagnostic report ${meta.id}`)
  line(`host ${meta.hostname}, kernel ${meta.kernel}`)
  line(`collected ${meta.start.toISOString()} to ${meta.end.toISOString()} (${((meta.end.getTime() - meta.start.getTime()) / 1000).toFixed(1)} s)${meta.root ? '' : ', not as root'}`)
  line()

  const by = (s: CollectorResult['status']) => results.filter((r) => r.status === s)
  const failed = by('failed')
  const timedOut = by('timed-out')
  const skipped = by('skipped')
  const ok = by('ok')
  line(`Collectors: ${ok.length} ok, ${failed.length} failed, ${timedOut.length} timed out, ${skipped.length} skipped`)
  const list = (title: string, rs: CollectorResult[]) => {
    if (rs.length === 0) return
    line()
    line(`${title}:`)
    for (const r of rs) line(`  - ${r.name}: ${r.error ?? r.status}`)
  }
  list('Failed collectors', failed)
  list('Timed out', timedOut)

  line()
  if (f.memlogd) {
    const m = f.memlogd
    line(`memlogd: ${m.entries} entries in the ring${m.malformed ? `, ${m.malformed} malformed lines` : ''}`)
    if (m.lostReports > 0) {
      line(`  memlogd lines lost: memlogd reported losing lines ${m.lostReports} time(s)${m.lostLines > 0 ? `, ${m.lostLines} lines in all as counted in its messages` : ''} (see logs/memlogd/memlogd.log)`)
    } else {
      line('  memlogd lines lost: none reported by memlogd in the ring')
    }
    if (m.ringWrapped) line(`  the ring had wrapped: ${m.ringWrapped} older entries were no longer held`)
    else if (!m.seqKnown && m.entries > 0) line('  (no seq numbers: a LinuxKit memlogd; entries overwritten in the ring cannot be counted)')
  } else {
    const r = results.find((x) => x.name === 'memlogd')
    line(`memlogd: not collected${r?.error ? ` (${r.error})` : ''}`)
  }

  line()
  if (f.kernelProblems.length > 0) {
    line(`Kernel warnings and errors (${f.kernelProblems.length}):`)
    for (const p of f.kernelProblems) line(`  - ${p}`)
  } else if (results.find((x) => x.name === 'kmsg')?.status === 'ok') {
    line('Kernel warnings and errors: none found (OOM kills, segfaults, hung tasks, I/O errors, BUG/WARNING/panic)')
  } else {
    const r = results.find((x) => x.name === 'kmsg')
    line(`Kernel log: not collected${r?.error ? ` (${r.error})` : ''}`)
  }

  line()
  if (f.nearlyFull.length > 0) {
    line('Disks nearly full:')
    for (const d of f.nearlyFull) line(`  - ${d.mount}: ${d.detail}`)
  } else {
    line('Disks nearly full: none')
  }

  if (skipped.length > 0) {
    line()
    line('Not collected (skipped):')
    for (const r of skipped) line(`  - ${r.name}: ${r.error ?? 'skipped'}`)
  }
  const truncated = results.filter((r) => r.truncated)
  if (truncated.length > 0) {
    line()
    line(`Truncated to the newest data: ${truncated.map((r) => r.name).join(', ')} (see manifest.json)`)
  }
  line()
  if (meta.redactionTotal === undefined) line('Redaction: off (--no-redact)')
  else line(`Redaction: ${meta.redactionTotal} value(s) redacted in ${meta.redactedFiles} file(s) (counts per file in manifest.json)`)
  return `${out.join('\n')}\n`
}
