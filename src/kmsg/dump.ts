// Everything the kernel holds now: open, drain to EAGAIN, close.
// The records are read natively rather than by a JS read per record (loading
// the addon costs less than Node's per-call overhead over a full ring), and on
// a thread of their own (startKmsgReadAhead), so the reads overlap parsing.
import {startKmsgReadAhead} from '../native/index.js'
import {DEFAULT_KMSG_DEVICE, openKmsgDevice, type KmsgDevice} from './device.js'
import {renderLinuxkitDump} from './plain-dump.js'
import {KmsgReader, type ReaderOptions} from './reader.js'
import type {KmsgRecord} from './record.js'

export interface DumpOptions extends ReaderOptions {
  device?: string
  /** Injected device (tests); `device` is ignored when given. */
  open?: (path: string) => KmsgDevice
}

/** Synchronous core of a dump, streaming records to onRecord. Returns the seq of the last kernel record read. */
export function drainKmsg(opts: DumpOptions, onRecord: (r: KmsgRecord) => void): bigint | undefined {
  return withDevice(opts, (dev) => {
    const reader = new KmsgReader(dev, opts)
    reader.drain(onRecord)
    return reader.lastSeq
  })
}

/**
 * A dump as LinuxKit lines (formatLinuxkitLine), appended to lines: what
 * drainKmsg with that formatter gives, faster (plain-dump.ts). Returns the
 * seq of the last kernel record read.
 */
export function dumpLinuxkitLines(opts: DumpOptions, bootNs: bigint, lines: string[]): bigint | undefined {
  return withDevice(opts, (dev) => renderLinuxkitDump(dev, bootNs, lines, opts))
}

function withDevice<T>(opts: DumpOptions, use: (dev: KmsgDevice) => T): T {
  const path = opts.device ?? DEFAULT_KMSG_DEVICE
  const dev = opts.open ? opts.open(path) : openKmsgDevice(path, undefined, undefined, startKmsgReadAhead)
  try {
    return use(dev)
  } finally {
    dev.close()
  }
}

/**
 * Every record the kernel holds now, oldest first (with a synthetic record
 * where some were overwritten while reading). Rejects with a Node-style error
 * (code EACCES, EPERM, ENOENT, EINVAL, …) when the device cannot be read.
 */
export async function dumpKmsg(opts: {device?: string} = {}): Promise<KmsgRecord[]> {
  const records: KmsgRecord[] = []
  drainKmsg({device: opts.device}, (r) => records.push(r))
  return records
}
