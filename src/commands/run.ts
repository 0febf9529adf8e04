import path from 'node:path'
import {Args, Flags} from '@oclif/core'
import {DiagkitCommand} from '../cli/base-command.js'
import {pathFlag} from '../cli/flags.js'
import {DEFAULT_LOG_SOCKET} from '../protocol/constants.js'
import {CommandNotRunnable, runCaptured} from '../run/captured-run.js'

export default class Run extends DiagkitCommand {
  static args = {
    command: Args.string({description: 'Program to run, then its arguments (after --).', required: true}),
  }

  static description = `Runs CMD with its stdout sent to memlogd as "NAME.out" and its stderr as "NAME" (LinuxKit's convention), while still passing both through to this terminal. Exits with CMD's exit code (128+N when CMD is killed by signal N). When memlogd is not listening, prints one warning and runs CMD anyway.`

  static examples = [
    {command: '<%= config.bin %> <%= command.id %> -- dmesg -w', description: 'Capture a program under its own name ("dmesg", "dmesg.out")'},
    {command: '<%= config.bin %> <%= command.id %> -n web --socket /tmp/log.sock -- python3 -m http.server', description: 'Choose the source name and the log socket'},
  ]

  static flags = {
    name: Flags.string({char: 'n', description: 'Source name (default: the basename of COMMAND).'}),
    socket: pathFlag({default: DEFAULT_LOG_SOCKET, description: "memlogd's log socket."}),
  }

  static strict = false

  // Flags go before `--`: after it everything is COMMAND's (oclif's own usage line would suggest otherwise).
  static usage = '<%= command.id %> [-n <value>] [--socket <value>] -- COMMAND [ARG...]'

  static summary = "Run a program with its output captured by memlogd."

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Run)
    // oclif returns non-strict argv re-sorted by each word's first position,
    // which scrambles repeated words (a second "--socket" inside CMD's own
    // arguments moves to the front). After "--" the raw words are CMD verbatim.
    const dashdash = this.argv.indexOf('--')
    const [command, ...args] = dashdash === -1 ? (argv as string[]) : this.argv.slice(dashdash + 1)
    const name = flags.name ?? path.basename(command)
    if (name === '') this.error('--name: must not be empty', {exit: 2})
    try {
      const code = await runCaptured({
        command,
        args,
        name,
        socketPath: flags.socket,
        stdout: process.stdout,
        stderr: process.stderr,
        warn: (message) => process.stderr.write(`diagkit run: warning: ${message}\n`),
      })
      process.exitCode = code
    } catch (error) {
      if (error instanceof CommandNotRunnable) this.error(error.message, {exit: error.exitCode})
      throw error
    }
  }
}
