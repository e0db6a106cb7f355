/**
 * `libp2p-consensus hub`: run an edge hub in the foreground, printing its addresses, the agents that
 * come and go and each decision (as text, or one JSON object per line with `--json`), until Ctrl-C.
 */
import { Command, Option } from 'commander'
import { parseDisplayName } from './agent.js'
import { choiceLines, clock, decisionLine, labeller, proposalJson, proposalLine, resultJson } from './format.js'
import { BALLOT_FORMS, ballotFlagText, ballotVoter, parseBallotFlag, type BallotFlag } from './ballot.js'
import { collectHub, integerIn, parseHost, parseNamespace } from './options.js'
import { CliError, printJson, untilInterrupted } from './runtime.js'
import type { HubAgentEvent } from '../hub/index.js'
import type { CborRecord } from '../types.js'

/** The CLI's default hub port: a fixed one, so the address stays the same across restarts. */
export const DEFAULT_CLI_HUB_PORT = 9090

/** Most proposal payloads kept to label decisions with. */
const MAX_REMEMBERED_PAYLOADS = 1000

interface HubOptions {
  host: string
  port: number
  namespace: string
  keyFile?: string
  peer?: string[]
  vote?: BallotFlag
  name?: string
  role?: string
  json?: boolean
}

/** An agent in the hub's join, update and leave lines: its name (once announced) before its full PeerId, which an operator may copy. */
function agentText (agent: HubAgentEvent): string {
  const role = agent.role === undefined ? '' : `, ${agent.role}`
  return agent.name === undefined ? agent.peerId : `${agent.name} (${agent.peerId}${role})`
}

/** An agent event as JSON: `name` and `role` only once announced. */
function agentJson (event: string, agent: HubAgentEvent): Record<string, unknown> {
  const named = { ...(agent.name === undefined ? {} : { name: agent.name }), ...(agent.role === undefined ? {} : { role: agent.role }) }
  return { event, peerId: agent.peerId, ...named, agents: agent.agents }
}

/** The `hub` command. */
export function hubCommand (): Command {
  return new Command('hub')
    .description('run an edge hub: agents (browser tabs, terminals) dial it over websockets and it relays their consensus traffic')
    .addOption(new Option('--host <ip>', 'address to listen on; 0.0.0.0 (or ::) serves other machines').default('127.0.0.1').argParser(parseHost))
    .addOption(new Option('--port <port>', 'websocket port (0: any free port)').default(DEFAULT_CLI_HUB_PORT).argParser(integerIn(0, 65535)))
    .addOption(new Option('--namespace <name>', 'the swarm; every peer must use the same').default('default').argParser(parseNamespace))
    .addOption(new Option('--peer <multiaddr>', 'another hub to link with (repeatable): the backbone carries consensus traffic between the hubs\' agents')
      .argParser(collectHub))
    .addOption(new Option('--name <name>', 'a display name the hub announces (agents list it by it)').argParser(parseDisplayName))
    .addOption(new Option('--role <role>', 'a role the hub announces next to its name').argParser(parseDisplayName))
    .option('--key-file <path>', 'keep the hub key in this file (created when missing) so its address stays the same across restarts')
    .addOption(new Option('--vote <ballot>', `the hub votes too: ${BALLOT_FORMS}, as agent --vote (default: it relays and watches)`)
      .argParser((text: string) => parseBallotFlag(text)))
    .option('--json', 'print one JSON object per line: {"event":"ready"|"join"|"leave"|"proposal"|"decision"|"stop"|"peer-join"|"peer-leave", ...};' +
      ' errors as {"error":…,"code":…}; "update" when an agent\'s name arrives after its join')
    .addHelpText('after', `
Examples:
  $ npx libp2p-consensus hub
  $ npx libp2p-consensus hub --host 0.0.0.0 --port 9090 --key-file ~/.libp2p-consensus/hub.key
  $ npx libp2p-consensus hub --port 0 --json    # {"event":"ready","multiaddrs":[…],"peers":[…],…} first, then one line per event

Two hubs on two machines (192.168.1.20 and 192.168.1.21), linked into one swarm; keep the key files
so each hub's address (its PeerId) stays the same across restarts:
  machine A $ npx libp2p-consensus hub --host 0.0.0.0 --key-file hub-a.key
              # prints /ip4/192.168.1.20/tcp/9090/ws/p2p/12D3KooWA…
  machine B $ npx libp2p-consensus hub --host 0.0.0.0 --key-file hub-b.key --peer /ip4/192.168.1.20/tcp/9090/ws/p2p/12D3KooWA…
  agents    $ npx libp2p-consensus agent --hub /ip4/192.168.1.20/tcp/9090/ws/p2p/12D3KooWA… --hub /ip4/192.168.1.21/tcp/9090/ws/p2p/12D3KooWB…
One side listing the other is enough; a hub that is down is redialed. Agents given several hubs keep
one, spread over them, and move to another when theirs stops.`)
    .action(runHub)
}

async function runHub (options: HubOptions): Promise<void> {
  const json = options.json === true
  const { createHub } = await import('../hub/index.js')
  let privateKey
  let keyCreated = false
  if (options.keyFile !== undefined) {
    const { loadOrCreateKey } = await import('./key-file.js')
    const key = await loadOrCreateKey(options.keyFile)
    privateKey = key.privateKey
    keyCreated = key.created
    if (key.created && !json) console.log(`created a new hub key in ${options.keyFile}`)
  }
  const line = (text: string): void => { console.log(`[${clock()}] ${text}`) }
  const voter = options.vote === undefined
    ? undefined
    : ballotVoter(options.vote, {
      onMisfit: (proposal, text) => {
        if (json) printJson({ event: 'skip', proposalId: proposal.id, reason: text })
        else line(text)
      }
    })
  let hub
  try {
    hub = await createHub({
      host: options.host,
      port: options.port,
      privateKey,
      peers: options.peer ?? [],
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.role === undefined ? {} : { role: options.role }),
      consensus: { namespace: options.namespace, ...(voter === undefined ? {} : { voter }) }
    })
  } catch (err: any) {
    if (String(err?.message).includes('EADDRINUSE')) {
      const message = `port ${options.port} on ${options.host} is already in use (another hub?); pass --port <another port>, or --port 0 for any free one`
      throw new CliError(message, { code: 'EADDRINUSE', cause: err })
    }
    throw err
  }

  const payloads = new Map<string, CborRecord>()
  // an agent subscribes before its presence arrives: its name usually comes with a later update
  hub.addEventListener('agent:join', (evt) => {
    if (json) printJson(agentJson('join', evt.detail))
    else line(`+ agent ${agentText(evt.detail)} joined (${evt.detail.agents} connected)`)
  })
  hub.addEventListener('agent:update', (evt) => {
    if (json) printJson(agentJson('update', evt.detail))
    else line(`= agent ${agentText(evt.detail)} announced its name`)
  })
  hub.addEventListener('agent:leave', (evt) => {
    if (json) printJson(agentJson('leave', evt.detail))
    else line(`- agent ${agentText(evt.detail)} left (${evt.detail.agents} connected)`)
  })
  hub.addEventListener('peer:join', (evt) => {
    if (json) printJson({ event: 'peer-join', peerId: evt.detail.peerId, peers: evt.detail.peers })
    else line(`+ hub ${evt.detail.peerId} linked (${evt.detail.peers} linked)`)
  })
  hub.addEventListener('peer:leave', (evt) => {
    if (json) printJson({ event: 'peer-leave', peerId: evt.detail.peerId, peers: evt.detail.peers })
    else line(`- hub ${evt.detail.peerId} unlinked (${evt.detail.peers} linked; a listed peer is redialed)`)
  })
  hub.consensus.addEventListener('proposal', (evt) => {
    if (payloads.size >= MAX_REMEMBERED_PAYLOADS) payloads.delete(payloads.keys().next().value as string)
    payloads.set(evt.detail.id, evt.detail.payload)
    if (json) printJson({ event: 'proposal', ...proposalJson(evt.detail) })
    else line(proposalLine(evt.detail, labeller(id => hub.consensus.getPeerInfo(id))))
  })
  hub.addEventListener('decision', (evt) => {
    const payload = payloads.get(evt.detail.proposalId)
    payloads.delete(evt.detail.proposalId)
    if (json) printJson({ event: 'decision', ...resultJson(evt.detail, payload) })
    else {
      line(decisionLine(evt.detail, payload))
      for (const choiceLine of choiceLines(evt.detail)) line(`  ${choiceLine}`)
    }
  })

  if (json) {
    printJson({
      event: 'ready',
      peerId: hub.peerId,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.role === undefined ? {} : { role: options.role }),
      multiaddrs: hub.multiaddrs,
      peers: hub.peerAddresses,
      linked: hub.peers(),
      namespace: options.namespace,
      vote: options.vote === undefined ? null : ballotFlagText(options.vote),
      ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile, keyCreated })
    })
  } else {
    printBanner(hub.peerId, hub.multiaddrs, hub.peerAddresses, options)
  }
  const signal = await untilInterrupted()
  if (json) printJson({ event: 'stop', signal, agents: hub.agents().length })
  else line(`${signal}: stopping the hub (${hub.agents().length} agents connected)…`)
  await hub.stop()
}

function printBanner (peerId: string, multiaddrs: string[], peers: readonly string[], options: HubOptions): void {
  const local = options.host === '127.0.0.1' || options.host === '::1'
  const first = multiaddrs.find(a => !a.startsWith('/ip4/127.') && !a.startsWith('/ip6/::1/')) ?? multiaddrs[0] ?? ''
  const port = first.split('/')[4] ?? String(options.port)
  const proxyTarget = `${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`
  const as = options.name === undefined ? '' : ` as ${options.name}`
  const voting = options.vote === undefined ? ', not voting' : `, voting ${ballotFlagText(options.vote)}`
  console.log(`hub ${peerId}${as} on namespace "${options.namespace}"${voting}`)
  console.log('listening on:')
  for (const addr of multiaddrs) console.log(`  ${addr}`)
  if (peers.length > 0) {
    console.log('linking with (redialed while down):')
    for (const addr of peers) console.log(`  ${addr}`)
  }
  console.log(`
a terminal agent:  npx libp2p-consensus agent --hub ${first}
a proposal:        npx libp2p-consensus propose --hub ${first} '{"action":"deploy"}'
a browser tab:     createAgent({ hubs: ['${first}'] })  (import { createAgent } from 'libp2p-consensus/agent')
another hub:       npx libp2p-consensus hub --peer ${first}
${local
    ? 'only this machine can connect; pass --host 0.0.0.0 to serve other machines.'
    : 'other machines use the address of an interface they can reach.'}
a page served over https can only dial wss://: put a TLS proxy in front (e.g. hub.example.com:443 → ${proxyTarget}) and give tabs /dns4/hub.example.com/tcp/443/wss/p2p/${peerId}
Ctrl-C stops the hub.
`)
}
