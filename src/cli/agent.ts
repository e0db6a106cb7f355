/**
 * `libp2p-consensus agent`: a terminal agent that joins a hub, votes on every proposal it is asked
 * about (always the same way, or at random; a ballot on proposals with choices) and prints what happens, until Ctrl-C.
 */
import { Command, Option } from 'commander'
import { BALLOT_FORMS, ballotFlagText, ballotText, ballotVoter, parseBallotFlag, type BallotFlag } from './ballot.js'
import { choiceLines, clock, decisionLine, proposalJson, proposalLine, resultJson, shortId, shortPeer } from './format.js'
import { collectHub, parseNamespace } from './options.js'
import { isHub, joinHubs, printJson, untilInterrupted } from './runtime.js'
import type { CborRecord } from '../types.js'

/** Most proposal payloads kept to label decisions with. */
const MAX_REMEMBERED_PAYLOADS = 1000

interface AgentOptions {
  hub: string[]
  vote: BallotFlag
  namespace: string
  json?: boolean
}

/** The `agent` command. */
export function agentCommand (): Command {
  return new Command('agent')
    .description('join a hub as an auto-voting agent and print each proposal, its vote and each decision until Ctrl-C')
    .requiredOption('--hub <multiaddr>', 'a hub address as `libp2p-consensus hub` prints it (repeat for several)', collectHub)
    .addOption(new Option('--vote <ballot>', `how to vote: ${BALLOT_FORMS}, or random; a ballot that does not fit a proposal's voting type is not cast`)
      .default(parseBallotFlag('for'), 'for').argParser((text: string) => parseBallotFlag(text, true)))
    .addOption(new Option('--namespace <name>', 'the swarm; must match the hub\'s').default('default').argParser(parseNamespace))
    .option('--json', 'print one JSON object per line: {"event":"ready"|"proposal"|"vote"|"skip"|"decision", ...}; errors as {"error":…,"code":…}')
    .addHelpText('after', `
A binary proposal takes for, against or abstain. On a proposal with choices (1-based): a choice index
(--vote 2) for single-choice, approval (approves just it), weighted and quadratic (all power to it);
a list (--vote 2,1,3) for approval (the choices approved) and ranked-choice or copeland (every choice,
best first); shares (--vote 1:2,3:1) for weighted and quadratic; abstain for any. random draws a valid
ballot. A --vote that does not fit a proposal is not cast: the agent prints why and votes on the next.

Examples:
  $ npx libp2p-consensus agent --hub /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW… --vote random
  $ npx libp2p-consensus agent --hub <addr> --vote 2,1,3    # a ranking, for ranked-choice proposals`)
    .action(runAgent)
}

async function runAgent (options: AgentOptions): Promise<void> {
  const json = options.json === true
  const line = (text: string): void => { console.log(`[${clock()}] ${text}`) }
  const agent = await joinHubs(options.hub, {
    consensus: {
      namespace: options.namespace,
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
  const payloads = new Map<string, CborRecord>()
  agent.services.consensus.addEventListener('proposal', (evt) => {
    if (payloads.size >= MAX_REMEMBERED_PAYLOADS) payloads.delete(payloads.keys().next().value as string)
    payloads.set(evt.detail.id, evt.detail.payload)
    if (json) printJson({ event: 'proposal', ...proposalJson(evt.detail) })
    else line(proposalLine(evt.detail))
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
      if (isHub(options.hub, evt.detail.toString())) line(`lost the hub ${shortPeer(evt.detail.toString())}; redialing…`)
    })
    agent.addEventListener('peer:connect', (evt) => {
      if (isHub(options.hub, evt.detail.toString())) line(`connected to the hub ${shortPeer(evt.detail.toString())}`)
    })
    const joined = `agent ${agent.peerId.toString()} joined ${options.hub.join(', ')}`
    console.log(`${joined} on namespace "${options.namespace}", voting ${ballotFlagText(options.vote)}; Ctrl-C stops it`)
  } else {
    printJson({ event: 'ready', peerId: agent.peerId.toString(), hubs: options.hub, namespace: options.namespace, vote: ballotFlagText(options.vote) })
  }
  const signal = await untilInterrupted()
  if (!json) line(`${signal}: leaving`)
  await agent.stop()
}
