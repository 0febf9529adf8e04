// The host UUID names the report directory, so it must be stable for a
// machine: systemd's machine-id when there is one, else the DMI product UUID
// (root only), else a random UUID stored once under a state directory.

import {randomUUID} from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {makeDirsSync} from '../util/make-dirs.js'

export interface HostUuidOptions {
  machineIdPath?: string
  productUuidPath?: string
  /** Where a generated UUID is kept (the file is <stateDir>/host-uuid). */
  stateDir?: string
}

export interface HostUuid {
  uuid: string
  /** Where it came from: 'machine-id', 'dmi' or 'stored'. */
  origin: 'dmi' | 'machine-id' | 'stored'
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** 32 hex digits (machine-id) as 8-4-4-4-12. */
export function formatMachineId(id: string): string | undefined {
  const hex = id.trim().toLowerCase()
  if (!/^[0-9a-f]{32}$/.test(hex) || /^0+$/.test(hex)) return undefined
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function defaultStateDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/diagkit'
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state')
  return path.join(base, 'diagkit')
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch {
    return undefined
  }
}

export async function hostUuid(opts: HostUuidOptions = {}): Promise<HostUuid> {
  const machineId = await readOptional(opts.machineIdPath ?? '/etc/machine-id')
  const fromMachineId = machineId === undefined ? undefined : formatMachineId(machineId)
  if (fromMachineId) return {uuid: fromMachineId, origin: 'machine-id'}

  const dmi = (await readOptional(opts.productUuidPath ?? '/sys/class/dmi/id/product_uuid'))?.trim().toLowerCase()
  // Firmware placeholders (all zeros, all F) are not unique.
  if (dmi && UUID.test(dmi) && !/^[0-]+$/.test(dmi) && !/^[f-]+$/.test(dmi)) return {uuid: dmi, origin: 'dmi'}

  return {uuid: await storedUuid(opts.stateDir ?? defaultStateDir()), origin: 'stored'}
}

/** Reads <dir>/host-uuid, creating it once (exclusive create: two first runs agree). */
async function storedUuid(dir: string): Promise<string> {
  const file = path.join(dir, 'host-uuid')
  const existing = (await readOptional(file))?.trim().toLowerCase()
  if (existing && UUID.test(existing)) return existing
  makeDirsSync(dir, 0o700)
  const fresh = randomUUID()
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, `${fresh}\n`, {mode: 0o644})
  try {
    // link() never replaces: whoever links first wins; an invalid old file is replaced by rename.
    if (existing === undefined) await fs.link(tmp, file)
    else await fs.rename(tmp, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    await fs.rm(tmp, {force: true})
  }
  const now = (await fs.readFile(file, 'utf8')).trim().toLowerCase()
  if (!UUID.test(now)) throw new Error(`${file} does not hold a UUID`)
  return now
}
