/**
 * `libp2p-consensus agent`: a terminal agent that joins a hub, votes on every proposal it is asked
 * about (always the same way, or at random) and prints what happens, until Ctrl-C.
 */
import { Command, Option } from 'commander'
import { clock, decisionLine, proposalJson, proposalLine, resultJson, shortId, shortPeer } from './format.js'
import { collectHub, parseNamespace, parseVote } from './options.js'
import { isHub, joinHubs, printJson, untilInterrupted } from './runtime.js'
import type { CborRecord, VoteType } from '../types.js'

const VOTES: VoteType[] = ['for', 'against', 'abstain']
/** Most proposal payloads kept to label decisions with. */
const MAX_REMEMBERED_PAYLOADS = 1000

interface AgentOptions {
  hub: string[]
  vote: VoteType | 'random'
  namespace: string
  json?: boolean
}

/** The `agent` command. */
export function agentCommand (): Command {
  return new Command('agent')
    .description('join a hub as an auto-voting agent and print each proposal, its vote and each decision until Ctrl-C')
    .requiredOption('--hub <multiaddr>', 'a hub address as `libp2p-consensus hub` prints it (repeat for several)', collectHub)
    .addOption(new Option('--vote <choice>', 'how to vote: for, against, abstain or random').default('for').argParser((text: string) => parseVote(text, true)))
    .addOption(new Option('--namespace <name>', 'the swarm; must match the hub\'s').default('default').argParser(parseNamespace))
    .option('--json', 'print one JSON object per line: {"event":"ready"|"proposal"|"vote"|"decision", ...}; errors as {"error":…,"code":…}')
    .addHelpText('after', `
Example:
  $ npx libp2p-consensus agent --hub /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW… --vote random`)
    .action(runAgent)
}

async function runAgent (options: AgentOptions): Promise<void> {
  const json = options.json === true
  const line = (text: string): void => { console.log(`[${clock()}] ${text}`) }
  const agent = await joinHubs(options.hub, {
    consensus: {
      namespace: options.namespace,
      voter: (proposal) => {
        const vote = options.vote === 'random' ? VOTES[Math.floor(Math.random() * VOTES.length)] as VoteType : options.vote
        if (json) printJson({ event: 'vote', proposalId: proposal.id, vote })
        else line(`voted ${vote} on ${shortId(proposal.id)}`)
        return vote
      }
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
    else line(decisionLine(evt.detail, payload))
  })
  if (!json) {
    agent.addEventListener('peer:disconnect', (evt) => {
      if (isHub(options.hub, evt.detail.toString())) line(`lost the hub ${shortPeer(evt.detail.toString())}; redialing…`)
    })
    agent.addEventListener('peer:connect', (evt) => {
      if (isHub(options.hub, evt.detail.toString())) line(`connected to the hub ${shortPeer(evt.detail.toString())}`)
    })
    const joined = `agent ${agent.peerId.toString()} joined ${options.hub.join(', ')}`
    console.log(`${joined} on namespace "${options.namespace}", voting ${options.vote}; Ctrl-C stops it`)
  } else {
    printJson({ event: 'ready', peerId: agent.peerId.toString(), hubs: options.hub, namespace: options.namespace, vote: options.vote })
  }
  const signal = await untilInterrupted()
  if (!json) line(`${signal}: leaving`)
  await agent.stop()
}
