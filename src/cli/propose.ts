/**
 * `libp2p-consensus propose`: join a hub, propose one payload, print the swarm's decision and exit
 * (0 when approved or rejected, 1 when no decision came in time).
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { BALLOT_FORMS, ballotVoter, fitBallot, parseBallotFlag, type BallotFlag } from './ballot.js'
import { parseDisplayName } from './agent.js'
import { choiceLines, decisionLine, labeller, payloadText, votersLine } from './format.js'
import {
  ALGORITHM_NAMES, THRESHOLD_DEFAULTS, collectChoices, collectHub, integerIn, oneOf, parseAlgorithm, parseNamespace, parseProposal, parseThreshold,
  parseVotingType, type AlgorithmName
} from './options.js'
import { CliError, joinHubs, printJson } from './runtime.js'
import { VotingType, type CborRecord } from '../types.js'
import type { ConsensusAgent } from '../agent/index.js'
import type { ConsensusAlgorithm } from '../algorithms/interface.js'
import type { RequestConsensusOptions } from '../core/options.js'

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
  vote?: BallotFlag
  json?: boolean
  choices?: string[]
  votingType?: VotingType
  quorum?: number
  quorumType?: 'turnout' | 'rejection'
  rejectChoice?: number
  tieBreak?: 'lowest-index' | 'none'
  /** undefined: the default (changes allowed with choices, not on a binary proposal) */
  voteChange?: boolean
  name?: string
  participants?: string[]
  weight?: Record<string, number>
}

/** `--participants a,b,c` (repeatable): PeerIds or announced names. */
function collectParticipants (text: string, previous: string[] = []): string[] {
  const added = text.split(',').map(p => p.trim())
  if (added.some(p => p === '')) throw new InvalidArgumentError(`expected PeerIds or names separated by commas, got ${JSON.stringify(text)}.`)
  return [...previous, ...added]
}

/** `--weight expert-backend-001=3` (repeatable): a participant (PeerId or name) and its integer weight. */
function collectWeight (text: string, previous: Record<string, number> = {}): Record<string, number> {
  const at = text.lastIndexOf('=')
  const key = text.slice(0, at).trim()
  const weight = Number(text.slice(at + 1))
  if (at <= 0 || key === '' || !Number.isSafeInteger(weight) || weight < 0) {
    throw new InvalidArgumentError(`expected <PeerId or name>=<integer weight ≥ 0>, such as expert-backend-001=3, got ${JSON.stringify(text)}.`)
  }
  return { ...previous, [key]: weight }
}

/** The flags that shape a proposal with choices, and so need `--choices`. */
const CHOICE_FLAGS = [
  ['votingType', '--voting-type'], ['quorum', '--quorum'], ['quorumType', '--quorum-type'], ['rejectChoice', '--reject-choice'], ['tieBreak', '--tie-break']
] as const

/** The `propose` command. */
export function proposeCommand (): Command {
  return new Command('propose')
    .description('join a hub, propose a JSON payload to the swarm and print the decision')
    .argument('<json>', 'the proposal, a JSON object such as \'{"action":"deploy"}\'', parseProposal)
    .requiredOption('--hub <multiaddr>', 'a hub address as `libp2p-consensus hub` prints it (repeat for several)', collectHub)
    .addOption(new Option('--algorithm <name>', `how votes decide: ${ALGORITHM_NAMES.join(', ')}`).default('quorum').argParser(parseAlgorithm))
    .addOption(new Option('--threshold <share>',
      'quorum / weighted: approved when more than this share votes for (default 0.5 / 0.6); with --choices: the winner needs more than this share ' +
      'of the eligible weight')
      .argParser(parseThreshold))
    .addOption(new Option('--choices <list>', 'a ballot over these options instead of for/against: names separated by commas, e.g. a,b,c (repeatable)')
      .argParser(collectChoices))
    .addOption(new Option('--voting-type <type>', `with --choices, how ballots are scored: ${Object.values(VotingType).join(', ')} (default single-choice)`)
      .argParser(parseVotingType))
    .addOption(new Option('--quorum <share>', 'with --choices: the share of the eligible weight that must vote (see --quorum-type), from 0 up to 1')
      .argParser(parseThreshold))
    .addOption(new Option('--quorum-type <type>',
      'turnout (default): every ballot, abstain too, counts toward --quorum; rejection: rejected when --reject-choice reaches --quorum')
      .argParser(oneOf(['turnout', 'rejection'] as const)))
    .addOption(new Option('--reject-choice <n>', 'with --quorum-type rejection: the choice (1-based) that rejects the proposal').argParser(integerIn(1, 64)))
    .addOption(new Option('--tie-break <rule>', 'a tie at the top: lowest-index (default: the choice listed first wins) or none (no winner: rejected)')
      .argParser(oneOf(['lowest-index', 'none'] as const)))
    .option('--vote-change', 'voters may change their vote until the deadline (the default with --choices); the proposal then closes at its deadline')
    .option('--no-vote-change', 'the first vote of each voter counts (the default for a binary proposal); a proposal may then close early')
    .addOption(new Option('--timeout <ms>', 'how long to wait for the --min-peers agents, then how long votes are collected')
      .default(30_000).argParser(integerIn(100, 300_000, ' ms')))
    .addOption(new Option(
      '--min-peers <n>',
      'wait up to --timeout until this many voting agents are on the topic before proposing (default 1; a hub without --vote does not count)'
    ).argParser(integerIn(0, 100_000)))
    .addOption(new Option('--namespace <name>', 'the swarm; must match the hub\'s').default('default').argParser(parseNamespace))
    .addOption(new Option('--vote <ballot>', `this terminal votes on its own proposal too: ${BALLOT_FORMS}`)
      .argParser((text: string) => parseBallotFlag(text)))
    .addOption(new Option('--participants <list>',
      'propose to these agents only: PeerIds or the names they announce (agent --name), separated by commas (repeatable); ' +
      'default: every voting agent on the topic').argParser(collectParticipants))
    .addOption(new Option('--weight <who=n>', 'give a participant (PeerId or announced name) this integer weight, e.g. expert-backend-001=3 (repeatable)')
      .argParser(collectWeight))
    .addOption(new Option('--name <name>', 'a display name for this terminal, announced while it waits (agents print it with the proposal)')
      .argParser(parseDisplayName))
    .option('--json', 'print the result as one JSON object (certificate as base64), and an error as {"error":…,"code":…} on stderr')
    .addHelpText('after', `
Prints the decision and exits 0 when the swarm approved or rejected, 1 when there was no decision
in time (or the hub could not be reached, or fewer than --min-peers agents came within --timeout),
2 on a bad flag or payload.

Examples:
  $ npx libp2p-consensus propose --hub /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW… '{"action":"deploy"}'
  $ npx libp2p-consensus propose --hub <addr> '{"budget":1200}' --algorithm weighted --threshold 0.7 --json
  $ npx libp2p-consensus propose --hub <addr> '{"lunch":"friday"}' --choices pizza,sushi,tacos --voting-type ranked-choice --timeout 5000
  $ npx libp2p-consensus propose --hub <addr> '{"migrate":true}' --algorithm weighted --participants expert-backend-001,agent-junior-001 \
      --weight expert-backend-001=3

Names in --participants and --weight are those agents announce (agent --name); this terminal resolves
each to the PeerId that announced it before it signs the proposal (an unknown or ambiguous name is an
error listing the names it knows). Names are self-declared: the proposal and certificate hold PeerIds.

With --choices, agents vote with a ballot (agent --vote 2, --vote 2,1,3, --vote 1:2,3:1 or --vote abstain) and the
result shows a score bar per choice, the winner starred, the ranking and, for ranked-choice, each runoff round.`)
    .action(async (payload: CborRecord, options: ProposeOptions, command: Command) => {
      if (options.choices === undefined) checkThreshold(options, command)
      else checkChoiceFlags(options, command)
      const stray = CHOICE_FLAGS.find(([key]) => options.choices === undefined && options[key] !== undefined)
      if (stray !== undefined) usage(command, `${stray[1]} applies to a ballot over choices: pass --choices too (e.g. --choices a,b,c).`)
      if (options.vote !== undefined) {
        const fitted = fitBallot(options.vote, { choices: options.choices ?? [], votingType: options.votingType ?? VotingType.SingleChoice })
        if ('problem' in fitted) usage(command, `${fitted.problem}.`)
      }
      await runPropose(payload, options)
    })
}

function usage (command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: 2, code: 'libp2p-consensus.usage' })
}

/** The rule flags of a ballot over choices, checked together (each alone was checked by its parser). */
function checkChoiceFlags (options: ProposeOptions, command: Command): void {
  const n = options.choices?.length ?? 0
  if (command.getOptionValueSource('algorithm') === 'cli') {
    usage(command, `--algorithm decides for/against proposals; with --choices pass --voting-type (${Object.values(VotingType).join(', ')}).`)
  }
  if (options.threshold !== undefined && options.votingType === 'copeland') {
    usage(command, '--threshold does not apply to --voting-type copeland: its scores count pairwise wins, not voting weight.')
  }
  if (options.quorumType === 'rejection') {
    if (options.rejectChoice === undefined) usage(command, `--quorum-type rejection needs --reject-choice, the choice (1 to ${n}) that rejects.`)
    if (options.quorum === undefined) usage(command, '--quorum-type rejection needs --quorum, the share of the weight at which --reject-choice rejects.')
  } else if (options.rejectChoice !== undefined) {
    usage(command, '--reject-choice applies to --quorum-type rejection only.')
  }
  if (options.rejectChoice !== undefined && options.rejectChoice > n) {
    usage(command, `--reject-choice ${options.rejectChoice} is not one of the ${n} choices (1 to ${n}).`)
  }
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
  if (options.threshold !== undefined && options.choices === undefined) {
    const threshold = options.threshold
    custom[options.algorithm] = options.algorithm === 'weighted' ? algorithms.weighted({ threshold }) : algorithms.quorum({ threshold })
  }
  const json = options.json === true
  // its own --vote was checked against its proposal before proposing; another peer's proposal it may not fit: then it says so
  const voter = options.vote === undefined ? undefined : ballotVoter(options.vote, { onMisfit: (_, text) => { if (!json) console.log(text) } })
  const agent = await joinHubs(options.hub, {
    consensus: {
      namespace: options.namespace,
      algorithms: custom,
      ...(voter === undefined ? {} : { voter }),
      ...(options.name === undefined ? {} : { name: options.name })
    }
  })
  try {
    await waitForSwarm(agent, options.minPeers ?? 1, options.timeout)
    await waitForNames(agent, [...options.participants ?? [], ...Object.keys(options.weight ?? {})], options.timeout)
    const result = await agent.services.consensus.requestConsensus(payload, requestOptions(options))
    const consensus = agent.services.consensus
    if (json) {
      const { resultJson } = await import('./format.js')
      // names as announced, for display: the result and its certificate hold PeerIds
      const names = Object.fromEntries(result.participants.flatMap(id => {
        const name = consensus.getPeerInfo(id)?.name
        return name === undefined ? [] : [[id, name]]
      }))
      printJson({ ...resultJson(result, payload), names })
    } else {
      console.log(decisionLine(result, payload))
      for (const line of choiceLines(result)) console.log(`  ${line}`)
      const certificate = result.certificate === undefined ? '' : `, certificate ${result.certificate.id}`
      console.log(`${votersLine(result, labeller(id => consensus.getPeerInfo(id)))}${certificate}`)
    }
    if (result.decision === 'timeout') {
      const voted = `${result.voters.length} of ${result.participants.length} eligible agents voted (${payloadText(payload, 60)})`
      throw new CliError(`no decision within ${options.timeout} ms: ${voted}; are they running with a voter (agent, hub --vote)?`, { code: 'TimeoutError' })
    }
  } finally {
    await agent.stop()
  }
}

/** What `requestConsensus` is asked: the binary algorithm, or the choices and their rule. */
function requestOptions (options: ProposeOptions): RequestConsensusOptions {
  const request: RequestConsensusOptions = { timeoutMs: options.timeout }
  if (options.participants !== undefined) request.participants = options.participants
  if (options.weight !== undefined) request.weights = options.weight
  if (options.voteChange !== undefined) request.allowVoteChange = options.voteChange
  // --algorithm's default is a binary rule: with --choices it is left out (an explicit one was refused)
  if (options.choices === undefined) return { ...request, algorithm: options.algorithm }
  request.choices = options.choices
  request.votingType = options.votingType ?? VotingType.SingleChoice
  for (const key of ['threshold', 'quorum', 'quorumType', 'rejectChoice', 'tieBreak'] as const) {
    if (options[key] !== undefined) (request as Record<string, unknown>)[key] = options[key]
  }
  return request
}

/**
 * Names in `--participants` / `--weight` resolve only once their agents' presence has arrived: wait
 * up to `timeoutMs` until every one that is not a PeerId is announced by some peer (a name still
 * unknown then is `requestConsensus`'s error, listing the names known).
 */
async function waitForNames (agent: ConsensusAgent, keys: string[], timeoutMs: number): Promise<void> {
  const consensus = agent.services.consensus
  const until = Date.now() + timeoutMs
  const known = (): boolean => {
    const names = new Set(consensus.listPeers().map(p => p.name))
    const own = consensus.getPeerInfo(agent.peerId.toString())?.name
    return keys.every(key => key.startsWith('12D3KooW') || key === own || names.has(key.normalize('NFC')))
  }
  while (!known() && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 100))
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
