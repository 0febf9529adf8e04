#!/usr/bin/env node
// A stop signal while the CLI is still loading (oclif takes ~100 ms) is noted
// instead of killing it half-way; the command decides what it means once it
// starts (src/cli/base-command.ts). Until then nothing has happened to undo.
const early = []
const note = (signal) => early.push(signal)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, note)
globalThis.diagkitEarlySignals = {
  signals: early,
  release() {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.off(signal, note)
  },
}
// chalk does not read NO_COLOR; translate it before anything loads chalk.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0'
// oclif's runner and the pieces every command is built from (bin/oclif-core.cjs),
// not its whole index: that also loads help rendering and more, ~9 ms no command needs.
const {createRequire} = await import('node:module')
const require = createRequire(import.meta.url)
const {execute} = require('@oclif/core/execute')
require('./oclif-core.cjs')
const {fileURLToPath} = await import('node:url')
// diagkit has no user-installed plugins: without this, oclif probes
// ~/.local/share/diagkit on every run and warns when HOME is not readable.
const root = fileURLToPath(new URL('..', import.meta.url))
await execute({loadOptions: {root, userPlugins: false}})
