// The default `kmsg --dump` (LinuxKit lines, no filter) rendered straight
// from the chunks the device reads, without a KmsgRecord, BigInts and four
// calls per record: on a cold start that is a third of a dump's JavaScript.
//
// It renders a record itself only where the record path (KmsgReader, then
// formatLinuxkitLine) would give exactly the same line: the common header,
// no dictionary, the seq right after the one before, nothing overwritten.
// At the first record it cannot take that way (records lost, a dictionary,
// an unusual header, a read error) the record path takes over, resuming after
// the last seq rendered, for the rest of the dump.
import type {KmsgBatch, KmsgDevice} from './device.js'
import {formatLinuxkitLine, lineText} from './format.js'
import {COMMON_HEADER} from './record.js'
import {DEFAULT_READ_BUFFER, KmsgReader, type ReaderOptions} from './reader.js'
import {formatRecordTimeSplit, splitBootTime} from './time.js'

export interface PlainDumpOptions extends ReaderOptions {
  /** Called when the record path takes over (tests hold the fast path to it). */
  onRecordPath?: () => void
}

/**
 * Appends the LinuxKit line of every record the device holds now to lines;
 * returns the seq of the last kernel record read. Same lines, seq and
 * onBadRecord calls as KmsgReader with formatLinuxkitLine, faster.
 */
export function renderLinuxkitDump(device: KmsgDevice, bootNs: bigint, lines: string[], opts: PlainDumpOptions = {}): bigint | undefined {
  const boot = splitBootTime(bootNs)
  if (!device.readBatch || !boot || opts.after !== undefined || opts.bufferSize !== undefined) return viaRecords(device, undefined, undefined, bootNs, lines, opts)
  const [bootSec, bootNsec] = boot
  let prevSeq = -1
  let lastSeqText: string | undefined
  for (;;) {
    const batch = device.readBatch(DEFAULT_READ_BUFFER)
    if (batch.end === 'error' || batch.epipe.length > 0) return viaRecords(device, batch, lastSeqText, bootNs, lines, opts)
    const text = batch.data.toString('latin1')
    const ends = batch.ends
    let start = 0
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]
      COMMON_HEADER.lastIndex = start
      if (!COMMON_HEADER.test(text) || COMMON_HEADER.lastIndex > end) return viaRecords(device, batch, lastSeqText, bootNs, lines, opts)
      const semi = COMMON_HEADER.lastIndex - 1
      let textEnd = text.indexOf('\n', semi + 1)
      if (textEnd < 0 || textEnd > end) textEnd = end
      const c1 = text.indexOf(',', start)
      const c2 = text.indexOf(',', c1 + 1)
      let c3 = text.indexOf(',', c2 + 1)
      if (c3 < 0 || c3 > semi) c3 = semi
      const seq = Number(text.slice(c1 + 1, c2))
      const usec = Number(text.slice(c2 + 1, c3))
      if (
        textEnd < end - 1 || // dictionary lines follow the text
        (c1 - start === 4 && Number(text.slice(start, c1)) > 2047) || // not a priority: the full parser says so
        seq > Number.MAX_SAFE_INTEGER || usec > Number.MAX_SAFE_INTEGER || // beyond exact Number arithmetic
        (c2 - c1 > 2 && text.charCodeAt(c1 + 1) === 48) || // a leading zero: the seq would not print as read
        (prevSeq >= 0 && seq !== prevSeq + 1) // records lost in between
      ) {
        return viaRecords(device, batch, lastSeqText, bootNs, lines, opts)
      }
      const seqText = text.slice(c1 + 1, c2)
      lines.push(`(${seqText}) - ${formatRecordTimeSplit(usec, bootSec, bootNsec)}: ${lineText(text.slice(semi + 1, textEnd))}`)
      prevSeq = seq
      lastSeqText = seqText
      start = end
    }
    if (batch.end !== 'more') return lastSeqText === undefined ? undefined : BigInt(lastSeqText)
  }
}

/**
 * The record path for the rest of the dump: `batch` (already read) first,
 * then the device; records up to lastSeqText were rendered already.
 */
function viaRecords(device: KmsgDevice, batch: KmsgBatch | undefined, lastSeqText: string | undefined, bootNs: bigint, lines: string[], opts: PlainDumpOptions): bigint | undefined {
  opts.onRecordPath?.()
  const rendered = lastSeqText === undefined ? opts.after : BigInt(lastSeqText)
  let pending = batch
  const source: KmsgDevice = pending === undefined ? device : {
    path: device.path,
    fd: device.fd,
    read: (buf) => device.read(buf),
    readBatch: (readSize) => {
      const next = pending ?? device.readBatch!(readSize)
      pending = undefined
      return next
    },
    seekEnd: () => device.seekEnd(),
    close: () => device.close(),
  }
  const reader = new KmsgReader(source, {...opts, after: rendered})
  reader.drain((r) => lines.push(formatLinuxkitLine(r, bootNs)))
  return reader.lastSeq ?? rendered
}
