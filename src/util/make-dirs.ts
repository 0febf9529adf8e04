// mkdir -p that always ends. Node 20's fs.mkdir({recursive: true}) loops
// forever when the kernel answers ENOENT for a directory whose parent exists
// (for example anything under /proc/<pid>), which hung `diagnose -o /proc/1`.
// This walks down from the deepest existing ancestor with plain mkdir calls.

import fs from 'node:fs'
import path from 'node:path'

/** Creates dir and its missing parents (new ones get `mode`); throws Node-style errors, never spins. */
export function makeDirsSync(dir: string, mode = 0o777): void {
  const target = path.resolve(dir)
  const missing: string[] = []
  let at = target
  for (;;) {
    try {
      if (fs.statSync(at).isDirectory()) break
      const err: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${at}'`)
      err.code = 'ENOTDIR'
      err.path = at
      throw err
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    missing.push(at)
    const parent = path.dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, {mode})
    } catch (error) {
      // Made meanwhile by someone else: fine, as long as it is a directory.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(d).isDirectory()) throw error
    }
  }
}
