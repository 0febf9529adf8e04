// Shared bits of the diagnose tests: running the CLI, and reading a report
// with an independent reader (Python's zipfile), never with our own code.

import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {BIN, ROOT} from '../helpers/memlogd.js'

export {ROOT}

/** bin/run.js once the command manifest lists diagnose (or there is none); the manifest-free runner before that. */
export function cliEntry(): string {
  const manifest = path.join(ROOT, 'oclif.manifest.json')
  if (!fs.existsSync(manifest)) return BIN
  const listed = Object.keys((JSON.parse(fs.readFileSync(manifest, 'utf8')) as {commands: object}).commands)
  return listed.includes('diagnose') ? BIN : path.join(ROOT, 'dist/test/diagnose/cli-runner.js')
}

export function cliArgs(args: string[]): string[] {
  const entry = cliEntry()
  return entry === BIN ? [BIN, 'diagnose', ...args] : [entry, ...args]
}

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

export function diagnoseCli(args: string[], opts: {timeoutMs?: number; uid?: number; gid?: number; env?: NodeJS.ProcessEnv} = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const p = spawn(process.execPath, cliArgs(args), {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : {uid: opts.uid, gid: opts.gid}),
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    p.on('error', reject)
    p.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr, ms: Date.now() - t0})
    })
  })
}

export function tempDir(prefix = 'dk-d-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface ZipFile {
  names: string[]
  files: Map<string, Buffer>
  /** zipfile.testzip(): the first entry with a bad CRC, or null. */
  bad: string | null
}

const READER = `
import base64, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    out = {"bad": z.testzip(), "names": z.namelist(), "files": {}}
    for n in z.namelist():
        out["files"][n] = base64.b64encode(z.read(n)).decode()
json.dump(out, sys.stdout)
`

export function readZip(file: string): ZipFile {
  const raw = execFileSync('python3', ['-c', READER, file], {maxBuffer: 1024 * 1024 * 1024})
  const parsed = JSON.parse(raw.toString()) as {bad: string | null; names: string[]; files: Record<string, string>}
  return {
    names: parsed.names,
    bad: parsed.bad,
    files: new Map(Object.entries(parsed.files).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  }
}

export function text(z: ZipFile, name: string): string {
  const b = z.files.get(name)
  if (!b) throw new Error(`no ${name} in the zip; it has ${z.names.join(', ')}`)
  return b.toString('utf8')
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

/** Every file under dir, relative. */
export function listTree(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(path.relative(dir, p))
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return out.sort()
}

/** Running (a zombie waiting for a reaper that may never come in a container does not count). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}
