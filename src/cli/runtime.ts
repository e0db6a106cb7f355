/**
 * What the terminal commands share: joining a hub (failing clearly when it cannot be reached),
 * waiting for Ctrl-C, and the error class that the CLI prints as one line with exit code 1.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { AgentInit, ConsensusAgent } from '../agent/index.js'

/** Options of a {@link CliError}. */
export interface CliErrorOptions extends ErrorOptions {
  /** the process exit code (default 1) */
  exitCode?: number
  /** what `--json` prints as `code`: the name of the failure, e.g. `HubUnreachableError` (default `CliError`) */
  code?: string
}

/** A failure the user can act on (hub unreachable, no decision in time…): printed as one line, exit code 1, no stack. */
export class CliError extends Error {
  static override name = 'CliError'
  override name = 'CliError'
  /** the process exit code */
  readonly exitCode: number
  /** the failure's name for scripts (`--json` prints it as `code`) */
  readonly code: string

  constructor (message: string, options: CliErrorOptions = {}) {
    super(message, options)
    this.exitCode = options.exitCode ?? 1
    this.code = options.code ?? 'CliError'
  }
}

/** How long the first connection to a hub may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 10_000

/** The most useful words of a dial error: libp2p's message, or the socket's (a websocket failure is an `ErrorEvent` with none). */
function reasonOf (err: any): string {
  const message = String(err?.message ?? '').split('\n')[0]?.trim()
  if (message !== undefined && message !== '') return message
  if (err?.type === 'error') return 'the websocket connection failed (nothing listening there, or refused)'
  return String(err)
}

/**
 * Start an agent that dials `hubs` (keeping one of them, as `createAgent` does), and make sure at
 * least one hub answered: an address with a typo or a hub that is not running is an error now, not
 * a silent background retry. With several hubs, one that is down is fine while another answers.
 */
export async function joinHubs (hubs: string[], init: Omit<AgentInit, 'hubs'>): Promise<ConsensusAgent> {
  const { createAgent } = await import('../agent/index.js')
  const agent = await createAgent({ ...init, hubs })
  // createAgent resolves once one hub is connected or every hub was tried once
  if (agent.getConnections().some(c => isHub(hubs, c.remotePeer.toString()))) return agent
  const reasons: string[] = []
  for (const hub of hubs) {
    try {
      // dial again to learn why not (or connect, if that hub just came up)
      await agent.dial(multiaddr(hub), { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) })
      return agent
    } catch (err) {
      reasons.push(`${hub}: ${reasonOf(err)}`)
    }
  }
  await agent.stop()
  throw new CliError(`cannot reach the hub (${reasons.join('; ')}). Is \`libp2p-consensus hub\` running there, and is this the address it printed?`, {
    code: 'HubUnreachableError'
  })
}

/** True when `peerId` is one of the hubs given by address. */
export function isHub (hubs: string[], peerId: string): boolean {
  return hubs.some(hub => hub.endsWith(`/p2p/${peerId}`))
}

/** Resolve on the first Ctrl-C (SIGINT) or SIGTERM; a second one kills the process the default way. */
export async function untilInterrupted (): Promise<NodeJS.Signals> {
  return new Promise(resolve => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/** Print one JSON object per line (`--json`). */
export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n')
}
