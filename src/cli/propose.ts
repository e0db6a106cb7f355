/**
 * `libp2p-consensus propose`: join a hub, propose one payload, print the swarm's decision and exit
 * (0 when approved or rejected, 1 when no decision came in time).
 */
import { Command, Option } from 'commander'
import { decisionLine, payloadText } from './format.js'
import {
  ALGORITHM_NAMES, THRESHOLD_DEFAULTS, collectHub, integerIn, parseAlgorithm, parseNamespace, parseProposal, parseThreshold, parseVote, type AlgorithmName
} from './options.js'
import { CliError, joinHubs, printJson } from './runtime.js'
import type { ConsensusAgent } from '../agent/index.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { CborRecord, VoteType } from '../types.js'

/** How long the peer list must stay unchanged before proposing: presence answers from agents behind the hub arrive within a few hundred ms. */
const SETTLE_MS = 600
/** …but never wait longer than this for it to settle. */
const MAX_SETTLE_MS = 3_000

interface ProposeOptions {
  hub: string[]
  algorithm: AlgorithmName
  threshold?: number
  timeout: number
  minPeers?: number
  namespace: string
  vote?: VoteType
  json?: boolean
}

/** The `propose` command. */
export function proposeCommand (): Command {
  return new Command('propose')
    .description('join a hub, propose a JSON payload to the swarm and print the decision')
    .argument('<json>', 'the proposal, a JSON object such as \'{"action":"deploy"}\'', parseProposal)
    .requiredOption('--hub <multiaddr>', 'a hub address as `libp2p-consensus hub` prints it (repeat for several)', collectHub)
    .addOption(new Option('--algorithm <name>', `how votes decide: ${ALGORITHM_NAMES.join(', ')}`).default('quorum').argParser(parseAlgorithm))
    .addOption(new Option('--threshold <share>', 'quorum / weighted: approved when more than this share votes for (default 0.5 / 0.6)')
      .argParser(parseThreshold))
    .addOption(new Option('--timeout <ms>', 'how long to wait for the --min-peers agents, then how long votes are collected')
      .default(30_000).argParser(integerIn(100, 300_000, ' ms')))
    .addOption(new Option(
      '--min-peers <n>',
      'wait up to --timeout until this many voting agents are on the topic before proposing (default 1; a hub without --vote does not count)'
    ).argParser(integerIn(0, 100_000)))
    .addOption(new Option('--namespace <name>', 'the swarm; must match the hub\'s').default('default').argParser(parseNamespace))
    .addOption(new Option('--vote <choice>', 'this terminal votes on its own proposal too: for, against or abstain')
      .argParser((text: string) => parseVote(text)))
    .option('--json', 'print the result as one JSON object (certificate as base64), and an error as {"error":…,"code":…} on stderr')
    .addHelpText('after', `
Prints the decision and exits 0 when the swarm approved or rejected, 1 when there was no decision
in time (or the hub could not be reached, or fewer than --min-peers agents came within --timeout),
2 on a bad flag or payload.

Examples:
  $ npx libp2p-consensus propose --hub /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW… '{"action":"deploy"}'
  $ npx libp2p-consensus propose --hub <addr> '{"budget":1200}' --algorithm weighted --threshold 0.7 --json`)
    .action(async (payload: CborRecord, options: ProposeOptions, command: Command) => {
      checkThreshold(options, command)
      await runPropose(payload, options)
    })
}

/** `--threshold` only means something to the algorithms that have one. */
function checkThreshold (options: ProposeOptions, command: Command): void {
  if (options.threshold !== undefined && THRESHOLD_DEFAULTS[options.algorithm] === undefined) {
    const rule = options.algorithm === 'unanimous' ? 'every vote for' : 'more than 2/3 for'
    command.error(`error: --threshold applies to ${Object.keys(THRESHOLD_DEFAULTS).join(' and ')}; ${options.algorithm} has a fixed rule (${rule}).`, {
      exitCode: 2,
      code: 'libp2p-consensus.usage'
    })
  }
}

async function runPropose (payload: CborRecord, options: ProposeOptions): Promise<void> {
  const algorithms = await import('../algorithms/index.js')
  // a local algorithm under the same name: every peer evaluates with the params pinned in the proposal
  const custom: Record<string, ConsensusAlgorithm> = {}
  if (options.threshold !== undefined) {
    const threshold = options.threshold
    custom[options.algorithm] = options.algorithm === 'weighted' ? algorithms.weighted({ threshold }) : algorithms.quorum({ threshold })
  }
  const vote = options.vote
  const agent = await joinHubs(options.hub, {
    consensus: { namespace: options.namespace, algorithms: custom, ...(vote === undefined ? {} : { voter: () => vote }) }
  })
  try {
    await waitForSwarm(agent, options.minPeers ?? 1, options.timeout)
    const result = await agent.services.consensus.requestConsensus(payload, { algorithm: options.algorithm, timeoutMs: options.timeout })
    if (options.json === true) {
      const { resultJson } = await import('./format.js')
      printJson(resultJson(result, payload))
    } else {
      console.log(decisionLine(result, payload))
      const certificate = result.certificate === undefined ? '' : `, certificate ${result.certificate.id}`
      console.log(`voters: ${result.voters.length} of ${result.participants.length} eligible${certificate}`)
    }
    if (result.decision === 'timeout') {
      const voted = `${result.voters.length} of ${result.participants.length} eligible agents voted (${payloadText(payload, 60)})`
      throw new CliError(`no decision within ${options.timeout} ms: ${voted}; are they running with a voter (agent, hub --vote)?`, { code: 'TimeoutError' })
    }
  } finally {
    await agent.stop()
  }
}

/** Wait up to `timeoutMs` (`--timeout`) for `minPeers` peers, then until the peer list stops growing (agents behind the hub announce themselves). */
async function waitForSwarm (agent: ConsensusAgent, minPeers: number, timeoutMs: number): Promise<void> {
  const consensus = agent.services.consensus
  try {
    await consensus.waitForPeers(minPeers, { timeoutMs })
  } catch (err: any) {
    if (err?.name === 'NotEnoughPeersError') {
      const found = `only ${consensus.getPeers().length} of the ${minPeers} peers asked for (--min-peers)`
      throw new CliError(`${found} were on the topic after ${timeoutMs} ms (--timeout); same --namespace as the hub?`, {
        code: 'NotEnoughPeersError',
        cause: err
      })
    }
    throw err
  }
  const until = Date.now() + MAX_SETTLE_MS
  let last = consensus.getPeers().join()
  let stableSince = Date.now()
  while (Date.now() < until && Date.now() - stableSince < SETTLE_MS) {
    await new Promise(resolve => setTimeout(resolve, 100))
    const now = consensus.getPeers().join()
    if (now !== last) { last = now; stableSince = Date.now() }
  }
}
