// Test helpers: a real memlogd process on temporary sockets, raw query
// clients, and the independent Python fd sender.

import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const BIN = path.join(ROOT, 'bin/run.js')
export const SEND_FDS = path.join(ROOT, 'test/fixtures/send_fds.py')

export interface Entry {
  time: string
  source: string
  msg: string
  seq?: number
}

export function tempDir(prefix = 'dk-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export interface RunningDaemon {
  dir: string
  logSock: string
  querySock: string
  proc: ChildProcess
  stdout(): string
  stderr(): string
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>
}

/** Starts `diagkit memlogd` on fresh sockets and waits until both exist. */
export async function startMemlogd(extra: string[] = [], opts: {console?: boolean; dir?: string} = {}): Promise<RunningDaemon> {
  const dir = opts.dir ?? tempDir('dk-m-')
  const logSock = path.join(dir, 'log.sock')
  const querySock = path.join(dir, 'q.sock')
  const args = [BIN, 'memlogd', '--socket-log', logSock, '--socket-query', querySock, ...(opts.console ? [] : ['--no-console']), ...extra]
  const proc = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  await Promise.race([
    waitFor(() => fs.existsSync(logSock) && fs.existsSync(querySock), 10_000, 'memlogd sockets'),
    exited.then((code) => {
      throw new Error(`memlogd exited early (${code}): ${err}`)
    }),
  ])
  return {
    dir, logSock, querySock, proc,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** Connects, sends `request` bytes, collects everything until the server closes (or timeoutMs). */
export function queryRaw(sock: string, request: Buffer | number[], timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      c.destroy()
      reject(new Error(`query on ${sock} did not finish in ${timeoutMs} ms`))
    }, timeoutMs)
    c.on('connect', () => c.write(Buffer.from(request)))
    c.on('data', (d) => chunks.push(d))
    c.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    c.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

export function parseNdjson(buf: Buffer | string): Entry[] {
  return buf.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Entry)
}

/** Mode 0 dump, parsed. */
export async function dump(sock: string): Promise<Entry[]> {
  return parseNdjson(await queryRaw(sock, [0]))
}

/** Entries of the dump that are not the daemon's own. */
export async function dumpServices(sock: string): Promise<Entry[]> {
  return (await dump(sock)).filter((e) => e.source !== 'memlogd')
}

/** Waits until the dump holds entries matching pred (count at least n). */
export async function waitForEntries(sock: string, pred: (e: Entry) => boolean, n = 1, timeoutMs = 5000): Promise<Entry[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = (await dump(sock)).filter(pred)
    if (found.length >= n) return found
    if (Date.now() > deadline) throw new Error(`expected ${n} matching entries, saw ${found.length}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export interface SendResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the Python sender (see test/fixtures/send_fds.py). */
export function pySend(logSock: string, name: string | Buffer, kind: string, arg?: string, chunks?: string[]): Promise<SendResult> {
  const nameHex = (typeof name === 'string' ? Buffer.from(name, 'utf8') : name).toString('hex')
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [SEND_FDS, logSock, nameHex, kind, ...(arg === undefined ? [] : [arg])], {stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000)
    p.on('error', reject)
    p.on('exit', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    p.stdin.end(JSON.stringify(chunks ?? []))
  })
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  input?: string
  timeoutMs?: number
  /** Run as this user / group (needs root). */
  uid?: number
  gid?: number
  cwd?: string
}

/** Runs `diagkit ARGS` to completion (killed after timeoutMs), in ROOT unless cwd says otherwise. */
export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : {uid: opts.uid}),
      ...(opts.gid === undefined ? {} : {gid: opts.gid}),
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 20_000)
    p.on('error', reject)
    p.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr, ms: Date.now() - t0})
    })
    p.stdin.end(opts.input ?? '')
  })
}

/**
 * A Unix stream socket at sockPath that accepts every connection and closes
 * it at once (a peer that is not memlogd). close() stops it.
 */
export async function acceptAndClose(sockPath: string): Promise<{close(): Promise<void>}> {
  const server = net.createServer((c) => c.destroy())
  await new Promise<void>((resolve) => server.listen(sockPath, resolve))
  return {close: () => new Promise<void>((resolve) => server.close(() => resolve()))}
}
