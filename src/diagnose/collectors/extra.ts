// What users add with --include PATH and --command NAME=CMD.

import fs from 'node:fs/promises'
import path from 'node:path'
import {openSnapshot, readRange, readSmallFile, tailPlan} from '../file-source.js'
import {safeEntryName} from '../names.js'
import {type Collector, type CollectorContext, SkipCollector} from '../types.js'
import {commandCollector} from './command.js'

/** Bounds for an included directory. */
const MAX_INCLUDED_FILES = 1000
const MAX_DEPTH = 8

export function includeCollector(target: string): Collector {
  const abs = path.resolve(target)
  return {
    name: `include:${abs}`,
    async run(ctx) {
      let st
      try {
        st = await fs.lstat(abs)
      } catch (error) {
        const err = error as NodeJS.ErrnoException
        if (err.code === 'ENOENT') throw new SkipCollector(`no such file or directory: ${abs}`)
        throw new Error(`${abs}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`)
      }
      const errors: string[] = []
      let count = 0
      const one = async (p: string) => {
        if (count >= MAX_INCLUDED_FILES || ctx.signal.aborted) return
        count++
        try {
          await addFile(ctx, p)
        } catch (error) {
          const err = error as NodeJS.ErrnoException
          errors.push(`${p}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`)
        }
      }
      const walk = async (dir: string, depth: number) => {
        let entries
        try {
          entries = await fs.readdir(dir, {withFileTypes: true})
        } catch (error) {
          errors.push(`${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
          return
        }
        entries.sort((a, b) => (a.name < b.name ? -1 : 1))
        for (const e of entries) {
          const p = path.join(dir, e.name)
          if (e.isFile()) await one(p)
          else if (e.isDirectory() && depth < MAX_DEPTH) await walk(p, depth + 1)
        }
      }
      if (st.isDirectory()) await walk(abs, 0)
      else if (st.isFile()) await one(abs)
      else if (st.isSymbolicLink()) {
        // A symlink named by the user is followed (its target must be a regular file).
        await one(abs)
      } else throw new Error(`${abs}: not a regular file or directory`)
      const details = {files: count, ...(count >= MAX_INCLUDED_FILES ? {limit: MAX_INCLUDED_FILES} : {})}
      if (errors.length > 0) return {status: 'failed', error: errors.slice(0, 5).join('; '), details}
      return {details}
    },
  }
}

async function addFile(ctx: CollectorContext, p: string): Promise<void> {
  const name = `extra/files/${safeEntryName(p)}`
  const real = await fs.realpath(p)
  const st = await fs.stat(real)
  if (!st.isFile()) throw new Error('not a regular file')
  if (st.size === 0) {
    // /proc and /sys report 0: read to EOF instead.
    const r = await readSmallFile(real, ctx.maxFileSize, ctx.signal)
    ctx.addBuffer(name, r.data, {source: p, truncated: r.truncated, originalBytes: r.truncated ? r.total : undefined})
    return
  }
  const snap = await openSnapshot(real)
  const plan = tailPlan(snap.size, ctx.maxFileSize)
  let cut = false
  const rec = await ctx.addStream(name, readRange(snap.fh, plan, ctx.signal, () => (cut = true)), {
    source: p,
    truncated: plan.truncated,
    originalBytes: plan.truncated ? snap.size : undefined,
  })
  if (rec && cut) rec.truncated = true
}

export function userCommandCollector(name: string, command: string): Collector {
  return commandCollector({name: `command:${name}`, entry: `extra/commands/${name}`, argv: ['sh', '-c', command]})
}
