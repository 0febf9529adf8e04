// The field cases (inputs from real bug reports with their right answers),
// kept in the repo as test/fixtures/field-cases.json, a verbatim copy of
// shared/cases/cases.json, so the tests run wherever the repo is cloned.
import fs from 'node:fs'
import path from 'node:path'
import {ROOT} from './memlogd.js'

export interface FieldCase {
  id: string
  area: string
  [key: string]: unknown
}

const CASES_FILE = path.join(ROOT, 'test/fixtures/field-cases.json')

export function loadCases(prefix: string): FieldCase[] {
  const all = JSON.parse(fs.readFileSync(CASES_FILE, 'utf8')) as FieldCase[]
  return all.filter((c) => c.id.startsWith(prefix))
}

/** A case string is JSON text: "\u0000" is a NUL byte, other chars stand for their UTF-8 bytes. */
export function bytesOf(s: string): Buffer {
  return Buffer.from(s, 'utf8')
}
