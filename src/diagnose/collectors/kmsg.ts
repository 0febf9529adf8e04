// The kernel log, dumped once: kernel/kmsg.txt in LinuxKit's kmsg line form
// and kernel/kmsg.json (one record per line inside a JSON array). Kernel
// trouble it shows (OOM kills, segfaults, hung tasks, I/O errors) goes to the summary.

import {bootTimeNs, dumpKmsg, formatLinuxkitLine, kernelProblems, type KmsgRecord, recordToJson} from '../../kmsg/index.js'
import {type Collector, SkipCollector} from '../types.js'

export interface KmsgOptions {
  device?: string
}

export function kmsgCollector(opts: KmsgOptions = {}): Collector {
  return {
    name: 'kmsg',
    async run(ctx) {
      const device = opts.device ?? '/dev/kmsg'
      let records: KmsgRecord[]
      try {
        records = await dumpKmsg({device})
      } catch (error) {
        const err = error as NodeJS.ErrnoException
        if (err.code === 'ENOENT') throw new SkipCollector(`no kernel log device ${device}`)
        if (err.code === 'EACCES' || err.code === 'EPERM') {
          throw new SkipCollector(`cannot read ${device}: permission denied (needs root or CAP_SYSLOG)`)
        }
        throw new Error(`cannot read ${device}: ${err.code ?? err.message}`)
      }
      const boot = bootTimeNs()
      const text: string[] = []
      const json: string[] = []
      for (const r of records) {
        text.push(formatLinuxkitLine(r, boot))
        json.push(JSON.stringify(recordToJson(r, boot)))
      }
      ctx.addBuffer('kernel/kmsg.txt', text.length > 0 ? `${text.join('\n')}\n` : '')
      // Keep the JSON valid under the per-file cap: drop the oldest records whole.
      let size = json.reduce((n, j) => n + Buffer.byteLength(j) + 2, 4)
      let first = 0
      while (size > ctx.maxFileSize && first < json.length) size -= Buffer.byteLength(json[first++]) + 2
      const kept = json.slice(first)
      ctx.addBuffer('kernel/kmsg.json', kept.length > 0 ? `[\n${kept.join(',\n')}\n]\n` : '[]\n', {truncated: first > 0})
      ctx.findings.kernelProblems.push(...kernelProblems(records))
      return {details: {device, records: records.length}}
    },
  }
}
