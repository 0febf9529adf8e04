// Replaces each compiled command in dist/src/commands with one self-contained
// ES module holding the command and every diagkit module it can reach.
//
// Why: Node 20 loads ES modules one by one through an asynchronous loader, at
// roughly half a millisecond each; `kmsg --dump` alone reached 14 of them. A
// command that is one file starts measurably sooner (npm run bench:kmsg).
// Packages (@oclif/core, chalk, ora, archiver) stay external: they are shared
// with bin/run.js and loaded from node_modules as before.
//
// Run after tsc, always: tsc only rewrites the outputs of changed sources, so
// a bundle is rebuilt from the TypeScript sources, never from dist.
// The bundles sit where tsc put the commands, three levels below the package
// root like dist/src/native, so src/native/binding.ts finds the addon from
// either place.
import {build} from 'esbuild'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = path.join(root, 'src/commands')
const outDir = path.join(root, 'dist/src/commands')

const entryPoints = fs.readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(srcDir, f))

await build({
  entryPoints,
  outdir: outDir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Readable stack traces for bug reports matter more than the few kB.
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
})
