/**
 * @packageDocumentation
 *
 * The `libp2p-consensus` command line: `hub` runs an edge hub, `propose` puts one payload to the
 * swarm, `agent` is an auto-voting terminal agent. A bad flag or payload prints one line on stderr
 * and exits 2; a runtime failure (hub unreachable, no decision in time) exits 1.
 */
import { Command, CommanderError } from 'commander'
import { agentCommand } from './agent.js'
import { hubCommand } from './hub.js'
import { proposeCommand } from './propose.js'
import { CliError } from './runtime.js'

export { CliError } from './runtime.js'
export { loadOrCreateKey, type KeyFile } from './key-file.js'

/** Exit code of a bad flag, argument or payload. */
export const EXIT_USAGE = 2
/** Exit code of a failure at run time (hub unreachable, no decision in time…). */
export const EXIT_RUNTIME = 1

/** The commander program with its three commands; `exitOverride` so {@link run} decides the exit code. */
export function buildProgram (): Command {
  const program = new Command('libp2p-consensus')
    .description('signed, certificate-backed consensus for swarms of agents over libp2p')
    .version(VERSION)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
  for (const command of [hubCommand(), proposeCommand(), agentCommand()]) {
    // subcommands do not inherit exitOverride from the program
    program.addCommand(command.exitOverride())
  }
  return program
}

/**
 * Parse `argv` (as `process.argv`) and run the command; resolves with the process exit code
 * (0 done, 1 runtime failure, 2 usage). Errors are printed as one line, never as a stack trace,
 * except unexpected ones when `DEBUG` is set.
 */
export async function run (argv: string[] = process.argv): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help / version asked for)
      return err.exitCode === 0 ? 0 : EXIT_USAGE
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`)
      return err.exitCode
    }
    const error = err as Error
    process.stderr.write(`error: ${error?.message ?? String(err)}\n`)
    if (process.env.DEBUG !== undefined) process.stderr.write(`${error?.stack ?? ''}\n`)
    return EXIT_RUNTIME
  }
}

/** The package version, kept in step with package.json by hand (the CLI does not read files at start). */
const VERSION = '0.1.0'
