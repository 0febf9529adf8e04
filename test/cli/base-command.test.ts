import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Config} from '@oclif/core'
import {DiagkitCommand} from '../../src/cli/base-command.js'
import {ROOT} from '../helpers/memlogd.js'

/** A command that reports the Config it was given and the argv it parsed. */
class Probe extends DiagkitCommand {
  static id = 'probe'

  async run(): Promise<{config: Config; argv: string[]}> {
    const {argv} = await this.parse(Probe)
    return {config: this.config, argv: argv as string[]}
  }

  static strict = false
}

describe('DiagkitCommand.run', () => {
  it('runs the command on the Config that found it, not on a second load', async () => {
    const config = await Config.load(ROOT)
    const got = await Probe.run(['a', 'b'], config)
    assert.equal(got.config, config)
    assert.deepEqual(got.argv, ['a', 'b'])
  })

  it('given a path instead of a Config, loads one the way oclif does', async () => {
    const got = await Probe.run(['x'], ROOT)
    assert.ok(got.config instanceof Config)
    assert.equal(got.config.root, ROOT)
    assert.deepEqual(got.argv, ['x'])
  })
})
