// What the command bundles take from @oclif/core, from its own modules rather
// than its index: the index loads all of oclif (help rendering, ux, …) and
// costs every command ~9 ms it does not need. bin/run.js loads these same
// modules at start-up, so they are part of every command's start.
// (Bundles get this file in place of '@oclif/core'; see bundle-commands.mjs.)
const {Command} = require('@oclif/core/command')
const {Config} = require('@oclif/core/config')
const Errors = require('@oclif/core/errors')
const Flags = require('@oclif/core/flags')
const Args = require('@oclif/core/args')

module.exports = {Args, Command, Config, Errors, Flags}
