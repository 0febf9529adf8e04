// Shared bits of the diagnose tests: running the CLI, and reading a report
// with an independent reader (Python's zipfile), never with our own code.

import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {type CliOptions, type CliResult, cli, tempDir as sharedTempDir} from '../helpers/memlogd.js'

/** `diagkit diagnose ARGS` to completion; a report can take a while, so the default timeout is a minute. */
export function diagnoseCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return cli(['diagnose', ...args], {...opts, timeoutMs: opts.timeoutMs ?? 60_000})
}

export function tempDir(prefix = 'dk-d-'): string {
  return sharedTempDir(prefix)
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
