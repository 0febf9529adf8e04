#!/usr/bin/env node
// chalk does not read NO_COLOR; translate it before anything loads chalk.
if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0'
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
