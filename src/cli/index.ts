/**
 * @packageDocumentation
 *
 * The `libp2p-consensus` command line: `hub` runs an edge hub, `propose` puts one payload to the
 * swarm, `agent` is an auto-voting terminal agent. A bad flag or payload prints one line on stderr
 * (one JSON line with `--json`) and exits 2; a runtime failure (hub unreachable, no decision in time) exits 1.
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

/**
 * The commander program with its three commands; `exitOverride` so {@link run} decides the exit code.
 * With `json`, commander's own error lines are not printed: {@link run} prints them as JSON.
 */
export function buildProgram (json = false): Command {
  const output = { outputError: (text: string, write: (text: string) => void) => { if (!json) write(text) } }
  const program = new Command('libp2p-consensus')
    .description('signed, certificate-backed consensus for swarms of agents over libp2p')
    .version(VERSION)
    .exitOverride()
    .configureOutput(output)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `
With --json, every command prints its output as JSON lines on stdout and an error as one JSON line
on stderr, {"error": "<message>", "code": "<name>"} (e.g. commander.invalidArgument, HubUnreachableError,
NotEnoughPeersError, TimeoutError), with the same exit codes: 2 for a bad flag or payload, 1 at run time.`)
  for (const command of [hubCommand(), proposeCommand(), agentCommand()]) {
    // subcommands do not inherit exitOverride or configureOutput from the program
    program.addCommand(command.exitOverride().configureOutput(output))
  }
  return program
}

/** True when the command line asks for `--json` (before any `--`): known before commander parses, so its own errors obey it. */
export function wantsJson (argv: string[]): boolean {
  const args = argv.slice(2)
  const end = args.indexOf('--')
  return (end === -1 ? args : args.slice(0, end)).includes('--json')
}

/** The name `--json` prints for an unexpected error: its string code (e.g. a system error's `EACCES`), else its class name. */
function codeOf (err: any): string {
  if (typeof err?.code === 'string' && err.code !== '') return err.code
  if (typeof err?.name === 'string' && err.name !== '') return err.name
  return 'Error'
}

/**
 * Parse `argv` (as `process.argv`) and run the command; resolves with the process exit code
 * (0 done, 1 runtime failure, 2 usage). Errors are printed as one line, never as a stack trace,
 * except unexpected ones when `DEBUG` is set; with `--json` that line is `{"error": …, "code": …}`.
 */
export async function run (argv: string[] = process.argv): Promise<number> {
  const json = wantsJson(argv)
  const report = (message: string, code: string, stack?: string): void => {
    if (json) {
      process.stderr.write(JSON.stringify({ error: message, code, ...(stack === undefined ? {} : { stack }) }) + '\n')
    } else {
      process.stderr.write(`error: ${message}\n`)
      if (stack !== undefined) process.stderr.write(`${stack}\n`)
    }
  }
  const program = buildProgram(json)
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0
      // without --json commander already printed the message (or the help asked for)
      if (json && err.code !== 'commander.help') report(err.message.replace(/^error: /, ''), err.code)
      return EXIT_USAGE
    }
    if (err instanceof CliError) {
      report(err.message, err.code)
      return err.exitCode
    }
    const error = err as Error
    report(error?.message ?? String(err), codeOf(err), process.env.DEBUG !== undefined ? error?.stack ?? '' : undefined)
    return EXIT_RUNTIME
  }
}

/** The package version, kept in step with package.json by hand (the CLI does not read files at start). */
const VERSION = '0.1.0'
