#!/usr/bin/env node
// chalk does not read NO_COLOR; translate it before anything loads chalk.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0'
const {execute} = await import('@oclif/core')
const {fileURLToPath} = await import('node:url')
// diagkit has no user-installed plugins: without this, oclif probes
// ~/.local/share/diagkit on every run and warns when HOME is not readable.
const root = fileURLToPath(new URL('..', import.meta.url))
await execute({loadOptions: {root, userPlugins: false}})
