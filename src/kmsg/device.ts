// The kernel log device behind a tiny interface, so the reader can be driven
// by a fake in tests. The real one is /dev/kmsg opened non-blocking: a read
// returns one record, or throws EAGAIN when none is ready — it never blocks.
import fs from 'node:fs'
import type {KmsgBatch, KmsgReadAhead} from '../native/index.js'

export type {KmsgBatch, KmsgReadAhead} from '../native/index.js'

export const DEFAULT_KMSG_DEVICE = '/dev/kmsg'

export interface KmsgDevice {
  /** Reads one record into buf and returns its length; throws Node-style errno errors (EAGAIN, EPIPE, EINVAL, …). */
  read(buf: Buffer): number
  /**
   * Optional: reads every record held now in one call (reads of readSize bytes
   * until EAGAIN). Read errors come back in the batch, after the records read
   * before them; the reader prefers this to read() when a device has it.
   */
  readBatch?(readSize: number): KmsgBatch
  /** Skips everything held now: later reads return only new records. */
  seekEnd(): void
  close(): void
  /** Pollable fd for readiness watching (absent on fakes that are driven by hand). */
  readonly fd?: number
  readonly path: string
}

/** lseek from the addon; passed in so this module does not load the addon itself. */
export type Lseek = (fd: number, offset: number, whence: 'end') => number
/** kmsgDrain from the addon, for readBatch. */
export type KmsgDrain = (fd: number, readSize: number) => KmsgBatch
/** startKmsgReadAhead from the addon, for readBatch on a thread (one-shot dumps). */
export type StartReadAhead = (fd: number, readSize: number) => KmsgReadAhead

/** /dev/kmsg is character device 1:11 (Documentation/admin-guide/devices.txt). */
const KMSG_MAJOR = 1
const KMSG_MINOR = 11

function isKernelLog(st: fs.Stats): boolean {
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn)
  const minor = st.rdev & 0xff
  return st.isCharacterDevice() && major === KMSG_MAJOR && minor === KMSG_MINOR
}

function notKernelLog(path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`not the kernel log device (expected character device ${KMSG_MAJOR}:${KMSG_MINOR}, like /dev/kmsg)`)
  err.code = 'ENODEV'
  err.path = path
  return err
}

/**
 * Refuses anything but the kernel log: /dev/zero or a plain file would be
 * read forever or as garbage records. The path is checked before it is
 * opened (opening some devices does something: a watchdog starts counting),
 * and the open fd again (the path may have changed in between). Throws
 * code ENODEV; the fd is closed.
 */
function openKernelLog(path: string): number {
  if (!isKernelLog(fs.statSync(path))) throw notKernelLog(path)
  // libuv adds O_CLOEXEC; O_NONBLOCK turns "no record yet" into EAGAIN.
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  if (isKernelLog(fs.fstatSync(fd))) return fd
  fs.closeSync(fd)
  throw notKernelLog(path)
}

/**
 * Opens the kernel log. readBatch comes from `drain` (one native call per
 * batch) or, when given, `readAhead`: a native thread reads the next chunk
 * while the caller parses this one, which is what a one-shot dump wants.
 */
export function openKmsgDevice(path: string = DEFAULT_KMSG_DEVICE, lseek?: Lseek, drain?: KmsgDrain, readAhead?: StartReadAhead): KmsgDevice {
  const fd = openKernelLog(path)
  let open = true
  let ahead: KmsgReadAhead | undefined
  const nextChunk = readAhead && ((readSize: number) => {
    ahead ??= readAhead(fd, readSize)
    const {batch, last} = ahead.next()
    if (last) { // finished: a later readBatch (after the 64 MiB cap) starts another
      ahead.close()
      ahead = undefined
    }
    return batch
  })
  return {
    fd,
    path,
    read: (buf) => fs.readSync(fd, buf, 0, buf.length, null),
    readBatch: nextChunk ?? (drain && ((readSize) => drain(fd, readSize))),
    seekEnd: () => {
      if (!lseek) throw new Error('openKmsgDevice: seekEnd needs the lseek argument')
      lseek(fd, 0, 'end')
    },
    close: () => {
      if (!open) return
      open = false
      ahead?.close() // the thread must be done with fd before it is closed
      ahead = undefined
      fs.closeSync(fd)
    },
  }
}
