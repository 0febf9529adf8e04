// manifest.json: who, when, what each collector did, and the sha256 of every
// file in the zip (except manifest.json itself, which cannot hold its own hash).

import {hostname} from 'node:os'
import type {HostUuid} from './host-uuid.js'
import type {CollectorResult, FileRecord} from './types.js'

export interface Manifest {
  format: 1
  tool: {name: 'diagkit'; version: string}
  id: string
  host: {uuid: string; uuidSource: HostUuid['origin']; hostname: string; kernel: string; arch: string; root: boolean}
  commandLine: string[]
  start: string
  end: string
  durationMs: number
  options: {maxFileSize: number; timeoutMs: number; collectorTimeoutMs: number}
  redaction: {enabled: boolean; rules: string[]; total: number}
  collectors: CollectorResult[]
  files: FileRecord[]
  note: string
}

export interface ManifestInput {
  id: string
  version: string
  host: HostUuid
  kernel: string
  root: boolean
  start: Date
  end: Date
  argv: string[]
  redaction: {enabled: boolean; rules: string[]}
  options: Manifest['options']
  results: CollectorResult[]
  files: FileRecord[]
}

export function buildManifest(m: ManifestInput): Manifest {
  return {
    format: 1,
    tool: {name: 'diagkit', version: m.version},
    id: m.id,
    host: {uuid: m.host.uuid, uuidSource: m.host.origin, hostname: hostname(), kernel: m.kernel, arch: process.arch, root: m.root},
    commandLine: m.argv,
    start: m.start.toISOString(),
    end: m.end.toISOString(),
    durationMs: m.end.getTime() - m.start.getTime(),
    options: m.options,
    redaction: {...m.redaction, total: m.files.reduce((n, f) => n + f.redactions, 0)},
    collectors: m.results,
    files: m.files.map((f) => ({...f})),
    note: 'sha256 and bytes are of the stored (redacted, possibly truncated) content; manifest.json itself is not listed',
  }
}
