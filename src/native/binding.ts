// Loads the compiled addon (native/build/Release/diagkit.node) and types it.
// The raw binding returns -errno on failure; see errors.ts for the conversion.
import {fileURLToPath} from 'node:url'
import path from 'node:path'

export type FdType =
  | 'pipe' | 'fifo' | 'file' | 'directory' | 'chardev' | 'blockdev'
  | 'stream-socket' | 'listening-socket' | 'dgram-socket' | 'seqpacket-socket' | 'unknown'

/** Callback of DgramReceiver: kind 0 = datagram, 1 = error (-errno), 2 = fd limit reached (paused). */
export type ReceiverCallback = (kind: number, a: Buffer | number, fds?: number[], trunc?: boolean, ctrunc?: boolean) => void

export interface RawDgramReceiver {
  start(): number
  stop(): void
  close(): void
}

export interface RawKmsgReadAhead {
  /** [records back to back, end offset of each, record indexes an EPIPE came before, status as kmsgDrain's, last chunk] */
  next(): [Buffer, Uint32Array, number[], number, boolean] | null
  /** Stops the thread and waits for it (before the fd is closed). */
  close(): void
}

export interface RawPoller {
  start(readable: boolean, writable?: boolean, disconnect?: boolean): number
  stop(): void
  close(): void
}

export interface RawBinding {
  socket(type: 'dgram' | 'stream'): number
  bind(fd: number, path: string): number
  listen(fd: number, backlog: number): number
  connect(fd: number, path: string): number
  sendFds(fd: number, payload: Buffer, fds: number[]): number
  socketPair(): [number, number] | number
  peerCred(fd: number): {gid: number; pid: number; uid: number} | number
  fdType(fd: number): FdType | number
  lseek(fd: number, offset: number, whence: 'cur' | 'data' | 'end' | 'set'): number
  clock(which: 'monotonic' | 'realtime', out: Float64Array): void
  /** [records back to back, end offset of each, record indexes an EPIPE came before, 0 EAGAIN | 1 eof | 2 call again | -errno] */
  kmsgDrain(fd: number, readSize: number): [Buffer, Uint32Array, number[], number] | number
  /** Reads a /dev/kmsg fd on a thread of its own; next() waits for the next chunk (null after the last). */
  KmsgReadAhead: new (fd: number, readSize: number) => RawKmsgReadAhead
  DgramReceiver: new (fd: number, maxFds: number, cb: ReceiverCallback) => RawDgramReceiver
  Poller: new (fd: number, cb: (status: number, readable: boolean, writable: boolean) => void) => RawPoller
}

// Three levels up from dist/src/native, and from dist/cli/commands, where this
// code also runs inside each command's bundle (scripts/bundle-commands.mjs).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const candidates = [
  path.join(root, 'native/build/Release/diagkit.node'),
  path.join(root, 'native/build/Debug/diagkit.node'),
]

function load(): RawBinding {
  const failures: string[] = []
  for (const file of candidates) {
    try {
      // process.dlopen, not require(): the path is known, and require's
      // resolution (stats, package.json lookups up the tree) costs more than
      // the dlopen itself on every command's start.
      const module = {exports: {}}
      process.dlopen(module, file)
      return module.exports as RawBinding
    } catch (error) {
      const why = (error as Error).message.split('\n')[0]
      failures.push(why.startsWith(file) ? why : `${file}: ${why}`) // dlopen's message names the file itself
    }
  }
  const err = new Error(
    'diagkit native addon is not built. Run `npm install` (needs python3, make and g++) ' +
      `in ${root}.\nTried:\n  ${failures.join('\n  ')}`,
  )
  ;(err as NodeJS.ErrnoException).code = 'ENOADDON'
  throw err
}

export const binding: RawBinding = load()
