// Builds each command into one CommonJS file, dist/cli/commands/<id>.cjs,
// holding the command and every diagkit module it can reach.
//
// Why one file: Node 20 loads ES modules one at a time through an
// asynchronous loader, about half a millisecond each; `kmsg --dump` alone
// reached 14 of ours. Why CommonJS: the bundles take the pieces of @oclif/core
// they use from its own modules (bin/oclif-core.cjs), which CommonJS loads at no
// extra cost, where an ES import of each would need a facade of its own.
// Packages stay external (chalk and ora, which are ES modules, through
// dynamic import()).
//
// Run after tsc, always: the bundles are built from the TypeScript sources,
// so they never go stale. They sit three levels below the package root, like
// dist/src/native, so src/native/binding.ts finds the addon from either place.
import {build} from 'esbuild'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = path.join(root, 'src/commands')
const outDir = path.join(root, 'dist/cli/commands')
const oclifCore = path.join(root, 'bin/oclif-core.cjs')

const entryPoints = fs.readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(srcDir, f))

fs.rmSync(outDir, {recursive: true, force: true})
await build({
  entryPoints,
  outdir: outDir,
  outExtension: {'.js': '.cjs'},
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // import() stays import(): chalk and ora are ES modules.
  supported: {'dynamic-import': true},
  // The sources are ES modules; in a CommonJS file import.meta.url is the file's URL.
  define: {'import.meta.url': '__importMetaUrl'},
  banner: {js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  plugins: [{
    name: 'oclif-core-pieces',
    setup(b) {
      b.onResolve({filter: /^@oclif\/core$/}, () => ({path: oclifCore}))
    },
  }],
  // Readable stack traces for bug reports matter more than the few kB.
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
})
