// --state FILE: the last seq written out, with the boot it belongs to (seq
// restarts at 0 on every boot). Saved by write-then-rename so a crash leaves
// the old state or the new one, never half of either.
import fs from 'node:fs'

export interface KmsgState {
  bootId: string
  seq: bigint
}

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id'

export function currentBootId(file = BOOT_ID_FILE): string {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
}

export class StateFileError extends Error {
  override name = 'StateFileError'
}

/**
 * Checked at start, before any record is printed: the file is a regular file
 * (a FIFO would block the read, /dev/null is nobody's state) or absent, and
 * a state can be written beside it (the directory exists and is writable).
 */
function checkUsable(file: string): void {
  try {
    if (!fs.lstatSync(file).isFile()) throw new StateFileError(`state file ${file} is not a regular file; choose a file path`)
  } catch (error) {
    if (error instanceof StateFileError) throw error
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StateFileError(`cannot use state file ${file}: ${(error as NodeJS.ErrnoException).code}`)
    }
  }
  const probe = `${file}.${process.pid}.tmp`
  try {
    fs.closeSync(fs.openSync(probe, 'wx', 0o644))
    fs.unlinkSync(probe)
  } catch (error) {
    throw new StateFileError(`cannot write state file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

/**
 * The saved state, or undefined when the file does not exist yet. Throws
 * StateFileError when it is not a state file or could not be saved.
 */
export function readState(file: string): KmsgState | undefined {
  checkUsable(file)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StateFileError(`cannot read state file ${file}: ${(error as Error).message}`)
  }
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    throw new StateFileError(`state file ${file} is not JSON; remove it to start over`)
  }
  const o = obj as {bootId?: unknown; seq?: unknown}
  if (typeof o !== 'object' || o === null || typeof o.bootId !== 'string' || typeof o.seq !== 'string' || !/^[0-9]{1,20}$/.test(o.seq)) {
    throw new StateFileError(`state file ${file} does not hold {"bootId": "...", "seq": "<digits>"}; remove it to start over`)
  }
  return {bootId: o.bootId, seq: BigInt(o.seq)}
}

export function writeState(file: string, state: KmsgState): void {
  const tmp = `${file}.${process.pid}.tmp`
  const fd = fs.openSync(tmp, 'w', 0o644)
  try {
    fs.writeSync(fd, `${JSON.stringify({bootId: state.bootId, seq: state.seq.toString()})}\n`)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
}

/** The seq to resume after: the saved one when it is from this boot, else none (a new boot's records are all new). */
export function resumeAfter(state: KmsgState | undefined, bootId: string): bigint | undefined {
  if (!state || bootId === '' || state.bootId !== bootId) return undefined
  return state.seq
}
