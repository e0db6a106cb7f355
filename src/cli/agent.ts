/**
 * `libp2p-consensus agent`: a terminal agent that joins a hub, votes on every proposal it is asked
 * about (always the same way, or at random; a ballot on proposals with choices) and prints what happens, until Ctrl-C.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { BALLOT_FORMS, ballotFlagText, ballotText, ballotVoter, parseBallotFlag, type BallotFlag } from './ballot.js'
import { choiceLines, clock, decisionLine, labeller, peerJson, peerLabel, proposalJson, proposalLine, resultJson, shortId } from './format.js'
import { checkDisplayName, type AbsenceReason } from '../libp2p/presence.js'
import { collectHub, parseNamespace } from './options.js'
import { isHub, joinHubs, printJson, untilInterrupted } from './runtime.js'
import type { CborRecord } from '../types.js'

/** Most proposal payloads kept to label decisions with. */
const MAX_REMEMBERED_PAYLOADS = 1000
/** How a peer leaving the roster reads, by why it left. */
const ABSENCE_TEXT: Record<AbsenceReason, string> = {
  left: 'left',
  disconnected: 'disconnected',
  expired: 'gone (not heard from within the presence TTL)'
}

interface AgentOptions {
  hub: string[]
  vote: BallotFlag
  namespace: string
  name?: string
  role?: string
  json?: boolean
}

/**
 * `--name` / `--role`: a display name or role to announce (1 to 64 characters, no control
 * characters); the same rules as `consensus({ name })`, as a usage error.
 */
export function parseDisplayName (text: string): string {
  try {
    return checkDisplayName(text, 'it') as string
  } catch (err: any) {
    throw new InvalidArgumentError(`${String(err?.message ?? err)}.`)
  }
}

/** The `agent` command. */
export function agentCommand (): Command {
  return new Command('agent')
    .description('join a hub as an auto-voting agent and print each proposal, its vote and each decision until Ctrl-C')
    .requiredOption('--hub <multiaddr>', 'a hub address as `libp2p-consensus hub` prints it (repeat for several)', collectHub)
    .addOption(new Option('--vote <ballot>', `how to vote: ${BALLOT_FORMS}, or random; a ballot that does not fit a proposal's voting type is not cast`)
      .default(parseBallotFlag('for'), 'for').argParser((text: string) => parseBallotFlag(text, true)))
    .addOption(new Option('--namespace <name>', 'the swarm; must match the hub\'s').default('default').argParser(parseNamespace))
    .addOption(new Option('--name <name>', 'a display name to announce, e.g. expert-backend-001: others list this agent by it and may propose to it by it')
      .argParser(parseDisplayName))
    .addOption(new Option('--role <role>', 'a role to announce next to the name, e.g. reviewer').argParser(parseDisplayName))
    .option('--json', 'print one JSON object per line: {"event":"ready"|"proposal"|"vote"|"skip"|"decision"|"present"|"update"|"absent", ...}; ' +
      'errors as {"error":…,"code":…}')
    .addHelpText('after', `
A binary proposal takes for, against or abstain. On a proposal with choices (1-based): a choice index
(--vote 2) for single-choice, approval (approves just it), weighted and quadratic (all power to it);
a list (--vote 2,1,3) for approval (the choices approved) and ranked-choice or copeland (every choice,
best first); shares (--vote 1:2,3:1) for weighted and quadratic; abstain for any. random draws a valid
ballot. A --vote that does not fit a proposal is not cast: the agent prints why and votes on the next.

Names are self-declared: --name labels this agent and lets a coordinator write it in participants or
agentWeights, but proposals and certificates hold its PeerId (printed as …7a6WCsLs, the id's tail).

Examples:
  $ npx libp2p-consensus agent --hub /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW… --vote random
  $ npx libp2p-consensus agent --hub <addr> --name expert-backend-001 --role expert --vote for
  $ npx libp2p-consensus agent --hub <addr> --vote 2,1,3    # a ranking, for ranked-choice proposals`)
    .action(runAgent)
}

async function runAgent (options: AgentOptions): Promise<void> {
  const json = options.json === true
  const line = (text: string): void => { console.log(`[${clock()}] ${text}`) }
  const agent = await joinHubs(options.hub, {
    consensus: {
      namespace: options.namespace,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.role === undefined ? {} : { role: options.role }),
      voter: ballotVoter(options.vote, {
        onVote: (proposal, vote) => {
          if (json) printJson({ event: 'vote', proposalId: proposal.id, vote })
          else line(`voted ${ballotText(vote)} on ${shortId(proposal.id)}`)
        },
        onMisfit: (proposal, text) => {
          if (json) printJson({ event: 'skip', proposalId: proposal.id, reason: text })
          else line(text)
        }
      })
    }
  })
  const consensus = agent.services.consensus
  const label = labeller(peerId => consensus.getPeerInfo(peerId))
  const payloads = new Map<string, CborRecord>()
  consensus.addEventListener('proposal', (evt) => {
    if (payloads.size >= MAX_REMEMBERED_PAYLOADS) payloads.delete(payloads.keys().next().value as string)
    payloads.set(evt.detail.id, evt.detail.payload)
    if (json) printJson({ event: 'proposal', ...proposalJson(evt.detail) })
    else line(proposalLine(evt.detail, label))
  })
  // who is on the topic, by the names they announce (self-declared: the id's tail stays next to the name)
  const presenceEvents = [['peer:present', 'present', 'is here'], ['peer:update', 'update', 'now announces']] as const
  for (const [type, event, verb] of presenceEvents) {
    consensus.addEventListener(type, (evt) => {
      const peer = evt.detail
      const role = peer.role === undefined ? '' : ` (${peer.role})`
      const voting = peer.voter ? '' : ', not voting'
      if (json) printJson({ event, ...peerJson(peer) })
      else line(`${peerLabel(peer)} ${verb}${role}${voting}`)
    })
  }
  consensus.addEventListener('peer:absent', (evt) => {
    const peer = evt.detail
    if (json) printJson({ event: 'absent', ...peerJson(peer), reason: peer.reason })
    else line(`${peerLabel(peer)} ${ABSENCE_TEXT[peer.reason]}`)
  })
  agent.services.consensus.addEventListener('decision', (evt) => {
    const payload = payloads.get(evt.detail.proposalId)
    payloads.delete(evt.detail.proposalId)
    if (json) printJson({ event: 'decision', ...resultJson(evt.detail, payload) })
    else {
      line(decisionLine(evt.detail, payload))
      for (const choiceLine of choiceLines(evt.detail)) line(`  ${choiceLine}`)
    }
  })
  if (!json) {
    agent.addEventListener('peer:disconnect', (evt) => {
      if (isHub(options.hub, evt.detail.toString())) line(`lost the hub ${label(evt.detail.toString())}; redialing…`)
    })
    agent.addEventListener('peer:connect', (evt) => {
      if (isHub(options.hub, evt.detail.toString())) line(`connected to the hub ${label(evt.detail.toString())}`)
    })
    const as = options.name === undefined ? '' : ` as ${options.name}${options.role === undefined ? '' : ` (${options.role})`}`
    const joined = `agent ${agent.peerId.toString()} joined ${options.hub.join(', ')}${as}`
    console.log(`${joined} on namespace "${options.namespace}", voting ${ballotFlagText(options.vote)}; Ctrl-C stops it`)
  } else {
    printJson({
      event: 'ready',
      peerId: agent.peerId.toString(),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.role === undefined ? {} : { role: options.role }),
      hubs: options.hub,
      namespace: options.namespace,
      vote: ballotFlagText(options.vote)
    })
  }
  const signal = await untilInterrupted()
  if (!json) line(`${signal}: leaving`)
  await agent.stop()
}
