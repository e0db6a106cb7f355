/**
 * The harness of the adversarial corpus: a live {@link SimulatedSwarm} whose every send is recorded,
 * a proposal held open on every agent, and the sealing and byte-surgery helpers the scenarios build
 * their inputs with.
 *
 * Honest agents never auto-vote (`vote: () => undefined`): each scenario casts their votes with
 * `recordVote` once the adversarial inputs were fed (`concludeScenario`), so the proposal stays
 * open while they arrive and the final decision shows what was (not) counted.
 */
import { SimulatedSwarm, simulatedIdentity, type SwarmInit } from '../../../src/testing/swarm.js'
import { macrotask } from '../../../src/testing/virtual-clock.js'
import { decodeCanonical, encodeCanonical } from '../../../src/wire/codec.js'
import { openMessage, sealMessage, type OpenedProposal, type OpenedVote } from '../../../src/wire/envelope.js'
import { AckPhase, PROTOCOL_VERSION, compareBytes, type AckBody, type CloseBody, type ProposalBody, type VoteBody } from '../../../src/wire/messages.js'
import { closerOf, roundStart } from '../../../src/core/round-clock.js'
import type { Identity } from '../../../src/wire/identity.js'
import type { ConsensusResult } from '../../../src/core/results.js'
import type { EvidenceEvent, VoteEvent } from '../../../src/core/manager.js'
import type { RequestConsensusOptions } from '../../../src/core/options.js'
import type { Verdict } from '../../../src/transport/coordinator.js'
import type { Ballot, CborRecord } from '../../../src/types.js'
import type { Bytes } from '../cbor.js'

export type { Bytes } from '../cbor.js'

/** The peer adversarial inputs claim to come from; not on the network, so pulls sent back are dropped. */
export const MALLORY = 'mallory'

/** In the 5-agent scenarios: the honest agents, and the member whose key the adversary holds. */
export const HONEST = [0, 1, 2, 3]
export const ADV = 4

export interface Harness {
  swarm: SimulatedSwarm
  ids: Identity[]
  /** every send on the network: from, to, bytes */
  sent: Array<{ from: string, to: string, bytes: Bytes }>
  votes: VoteEvent[][]
  evidence: EvidenceEvent[][]
}

export interface Open {
  opened: OpenedProposal
  body: ProposalBody
  key: string
  id: Bytes
  result: Promise<ConsensusResult>
  settled: () => boolean
  /** agent index of the closer of round `r` (closers[r], then the rest of the electorate in rotation) */
  closer: (r: number) => number
  /** local time round `r` starts (round 0: the proposal's createdAt) */
  roundStart: (r: number) => number
}

export async function makeSwarm (agents: number, init: Partial<SwarmInit> = {}): Promise<Harness> {
  const swarm = await SimulatedSwarm.create({ agents, seed: 1, vote: () => undefined, ...init })
  const h: Harness = { swarm, ids: swarm.agents.map(a => a.identity), sent: [], votes: [], evidence: [] }
  swarm.network.filter = (from, to, bytes) => { h.sent.push({ from, to, bytes }); return true }
  swarm.agents.forEach((agent, i) => {
    h.votes[i] = []
    h.evidence[i] = []
    agent.manager.addEventListener('vote', (evt) => { h.votes[i]?.push(evt.detail) })
    agent.manager.addEventListener('evidence', (evt) => { h.evidence[i]?.push(evt.detail) })
  })
  return h
}

/** Agent `requester` proposes (binary, or with `options.choices`); returns once every agent holds the proposal open. */
export async function propose (h: Harness, requester: number, payload: CborRecord, options: RequestConsensusOptions = {}): Promise<Open> {
  const before = h.sent.length
  let settled = false
  const result = h.swarm.agent(requester).manager.requestConsensus(payload, { timeoutMs: 60_000, ...options })
  result.then(() => { settled = true }, () => { settled = true })
  const coordinator = h.ids[requester]!.peerId
  for (let i = 0; i < 1000; i++) {
    await macrotask()
    for (const { from, bytes } of h.sent.slice(before)) {
      if (from !== coordinator) continue
      const opened = await openMessage(bytes)
      if (opened.body.type !== 'proposal') continue
      const key = opened.key
      if (!h.swarm.agents.every(a => a.manager.getOpenProposals().some(p => p.id === key))) continue
      const body = opened.body
      return {
        opened: opened as OpenedProposal,
        body,
        key,
        id: opened.id,
        result,
        settled: () => settled,
        closer: (r) => h.ids.findIndex(id => id.peerId === closerOf(body, r)),
        roundStart: (r) => roundStart(body, r)
      }
    }
    await h.swarm.clock.advance(1)
  }
  throw new Error('the proposal never reached every agent')
}

/** Run virtual time until `done()` or `maxMs` of virtual time passed. */
export async function runUntil (h: Harness, done: () => boolean, maxMs = 10 * 60_000): Promise<void> {
  const limit = h.swarm.clock.now() + maxMs
  await macrotask()
  while (!done() && h.swarm.clock.now() < limit) await h.swarm.clock.runUntil(h.swarm.clock.now() + 50)
}

/** Run until the requester has its result and `agents` all decided; returns the requester's result (throws if one did not decide). */
export async function finish (h: Harness, open: Open, agents: number[]): Promise<ConsensusResult> {
  await runUntil(h, () => open.settled() && agents.every(i => h.swarm.agent(i).decisions.has(open.key)))
  const result = await open.result
  const undecided = agents.filter(i => !h.swarm.agent(i).decisions.has(open.key))
  if (undecided.length > 0) throw new Error(`agents ${undecided.join(', ')} never decided proposal ${open.key.slice(0, 12)}`)
  return result
}

/** Feed `bytes` to each target's `handleMessage`; returns the verdicts. */
export async function feed (h: Harness, bytes: Bytes, targets: number[], from = MALLORY): Promise<Verdict[]> {
  const out: Verdict[] = []
  for (const i of targets) out.push(await h.swarm.agent(i).manager.handleMessage(bytes, from))
  return out
}

/** Vote events seen so far by `agents` for `key`, from `voter` (or any). */
export function voteEventsFor (h: Harness, agents: number[], key: string, voter?: string): VoteEvent[] {
  return agents.flatMap(i => h.votes[i] ?? []).filter(v => v.proposalId === key && (voter === undefined || v.voter === voter))
}

export const voteBody = (open: Open | Bytes, voter: Identity, choice: Ballot = 'for', over: Partial<VoteBody> = {}): VoteBody => ({
  type: 'vote',
  v: PROTOCOL_VERSION,
  ns: 'default',
  proposal: open instanceof Uint8Array ? open : open.id,
  voter: voter.peerId,
  seq: 0,
  choice,
  metadata: {},
  ...over
})

export async function sealVote (open: Open | Bytes, voter: Identity, choice: Ballot = 'for', over: Partial<VoteBody> = {}): Promise<OpenedVote> {
  return sealMessage(voter, voteBody(open, voter, choice, over))
}

export function closeBody (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): CloseBody {
  return {
    type: 'close',
    v: PROTOCOL_VERSION,
    ns: 'default',
    proposal: open.id,
    closer: h.ids[closer]!.peerId,
    round: 0,
    validRound: -1,
    closedAt: open.body.createdAt + 10,
    decision: 'timeout',
    votes: [],
    excluded: [],
    tally: [0, 0, 0, 0, 0, 0],
    winner: 0,
    ...over
  }
}

export async function sealClose (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): Promise<Bytes> {
  return (await sealMessage(h.ids[closer]!, closeBody(h, open, closer, over))).bytes
}

/** An ack body: by default `signer`'s round-0 prevote of outcome `value` (`null`: a nil prevote). */
export const ackBody = (signer: Identity, proposal: Bytes, value: Bytes | null, over: Partial<AckBody> = {}): AckBody => ({
  type: 'ack', v: PROTOCOL_VERSION, ns: 'default', proposal, signer: signer.peerId, round: 0, phase: AckPhase.Prevote, value, ...over
})

/** {@link ackBody}, sealed. */
export async function sealAck (signer: Identity, proposal: Bytes, value: Bytes | null, over: Partial<AckBody> = {}): Promise<Bytes> {
  return (await sealMessage(signer, ackBody(signer, proposal, value, over))).bytes
}

export const sortIds = (...ids: Bytes[]): Bytes[] => [...ids].sort(compareBytes)
export const bodyOf = (envelope: Bytes): Bytes => (decodeCanonical(envelope, 1 << 20) as Bytes[])[0] as Bytes
export const sigOf = (envelope: Bytes): Bytes => (decodeCanonical(envelope, 1 << 20) as Bytes[])[1] as Bytes
export const wrap = (body: Bytes, sig: Bytes): Bytes => encodeCanonical([body, sig])

export function flipBit (bytes: Bytes, at: number, bit: number): Bytes {
  const out = new Uint8Array(bytes) // a real copy (a Buffer's slice is a view)
  out[at] = (out[at] as number) ^ (1 << bit)
  return out
}

export function indexOf (haystack: Bytes, needle: Bytes): number {
  const matchesAt = (i: number): boolean => needle.every((b, j) => haystack[i + j] === b)
  for (let i = 0; i + needle.length <= haystack.length; i++) if (matchesAt(i)) return i
  return -1
}

/** Non-member identities (never in any electorate here). */
export async function outsiders (n: number): Promise<Identity[]> {
  return Promise.all(Array.from({ length: n }, async (_, k) => simulatedIdentity(100 + k)))
}
