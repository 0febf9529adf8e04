// LinuxKit's fd-passing wrapper: runs a program, sends its stdout to memlogd as
// "<name>.out" and its stderr as "<name>", and also passes both through to our
// own stdout/stderr. memlogd reads socketpairs that only this process writes,
// so it sees EOF when the program exits even if a background child of the
// program still holds the program's pipes.

import {spawn} from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import type {Readable, Writable} from 'node:stream'
import {closeQuietly, socketPair} from '../native/index.js'
import {sendLogFds} from '../client/fd-sender.js'

export interface CapturedRunOptions {
  command: string
  args: string[]
  name: string
  socketPath: string
  stdout: Writable
  stderr: Writable
  /** One-line warnings (memlogd unreachable). */
  warn(message: string): void
  /** How long to keep reading after the program exits (a background child may hold its pipes). */
  drainMs?: number
}

export class CommandNotRunnable extends Error {
  override name = 'CommandNotRunnable'
  constructor(message: string, readonly exitCode: number) {
    super(message)
  }
}

/** Opens a socketpair, hands one end to memlogd under `name`, returns a writer for the other. */
async function memlogdStream(socketPath: string, name: string): Promise<net.Socket> {
  const [mine, theirs] = socketPair()
  try {
    await sendLogFds(socketPath, name, [theirs])
  } catch (error) {
    closeQuietly(mine)
    throw error
  } finally {
    closeQuietly(theirs)
  }
  return new net.Socket({fd: mine, readable: false, writable: true})
}

function tee(from: Readable, local: Writable, remote: net.Socket | undefined): void {
  from.on('data', (chunk: Buffer) => {
    local.write(chunk)
    if (remote && !remote.destroyed && !remote.write(chunk)) {
      // memlogd reads slower than the program writes: slow the program, as a pipe would.
      from.pause()
      remote.once('drain', () => from.resume())
    }
  })
}

function finish(sock: net.Socket | undefined): Promise<void> {
  if (!sock || sock.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => sock.destroy(), 2000)
    sock.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    sock.end()
  })
}

export async function runCaptured(opts: CapturedRunOptions): Promise<number> {
  let out: net.Socket | undefined
  let err: net.Socket | undefined
  try {
    out = await memlogdStream(opts.socketPath, `${opts.name}.out`)
    err = await memlogdStream(opts.socketPath, opts.name)
  } catch (error) {
    out?.destroy()
    out = undefined
    opts.warn(`${(error as Error).message}; running ${opts.command} without log capture`)
  }
  for (const s of [out, err]) s?.on('error', () => s.destroy())

  const child = spawn(opts.command, opts.args, {stdio: ['inherit', 'pipe', 'pipe']})
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']
  for (const s of signals) process.on(s, forward)
  try {
    tee(child.stdout!, opts.stdout, out)
    tee(child.stderr!, opts.stderr, err)
    const status = await new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code, signal) => resolve({code, signal}))
    }).catch((error: NodeJS.ErrnoException) => {
      const code = error.code === 'ENOENT' ? 127 : 126
      const why = error.code === 'ENOENT' ? 'command not found' : error.code === 'EACCES' ? 'permission denied' : error.message
      throw new CommandNotRunnable(`cannot run ${opts.command}: ${why}`, code)
    })
    // Output written just before exit may still sit in the pipes: read until
    // they close, or give up after drainMs if a background child keeps them open.
    await Promise.race([
      Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((r) => (s.closed ? r(null) : s.once('close', r))))),
      new Promise((r) => setTimeout(r, opts.drainMs ?? 200).unref()),
    ])
    child.stdout!.destroy()
    child.stderr!.destroy()
    await Promise.all([finish(out), finish(err)])
    if (status.code !== null) return status.code
    return 128 + (os.constants.signals[status.signal!] ?? 0)
  } finally {
    for (const s of signals) process.off(s, forward)
    out?.destroy()
    err?.destroy()
  }
}
