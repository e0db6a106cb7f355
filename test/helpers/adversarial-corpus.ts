/**
 * The adversarial corpus: every class of forged, replayed, malformed or dishonest message, built on a
 * live {@link SimulatedSwarm} with an open proposal, and {@link runCorpus}, which feeds every input of
 * every class to every honest agent's `ConsensusManager.handleMessage` and reports, per class, how
 * many inputs got the verdict docs/PROTOCOL.md ("Validation outcomes") prescribes and how many were
 * counted anyway.
 *
 * Used by test/adversarial.test.ts (which asserts each class's verdicts and what was not counted)
 * and by scripts/corpus.ts (`npm run corpus`, which writes docs/adversarial-corpus.md). No vitest
 * here: failures are plain errors or figures in the report.
 *
 * Honest agents never auto-vote (`vote: () => undefined`): each scenario casts their votes with
 * `recordVote` once the adversarial inputs were fed ({@link concludeScenario}), so the proposal stays
 * open while they arrive and the final decision shows what was (not) counted.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { verifyCertificate } from '../../src/core/certificate.js'
import { SimulatedSwarm, simulatedIdentity, type SwarmInit } from '../../src/testing/swarm.js'
import { macrotask } from '../../src/testing/virtual-clock.js'
import { decodeCanonical, encodeCanonical } from '../../src/wire/codec.js'
import { openMessage, sealMessage, type AnyOpened, type OpenedProposal, type OpenedVote } from '../../src/wire/envelope.js'
import { compareBytes, type CloseBody, type ProposalBody, type VoteBody } from '../../src/wire/messages.js'
import { contentId, idToString } from '../../src/wire/ids.js'
import { signBody, type Identity } from '../../src/wire/identity.js'
import type { ConsensusResult } from '../../src/core/results.js'
import type { EvidenceEvent, VoteEvent } from '../../src/core/manager.js'
import type { Verdict } from '../../src/transport/coordinator.js'
import type { CborRecord, ConsensusDecision, VoteType } from '../../src/types.js'

export type Bytes = Uint8Array

// ---------------------------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------------------------

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
  /** agent index of closers[rank] */
  closer: (rank: number) => number
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

/** Agent `requester` proposes; returns once every agent holds the proposal open. */
export async function propose (h: Harness, requester: number, payload: CborRecord, options: { timeoutMs?: number, algorithm?: string } = {}): Promise<Open> {
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
        closer: (rank) => h.ids.findIndex(id => id.peerId === body.closers[rank])
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

export const voteBody = (open: Open | Bytes, voter: Identity, choice: VoteType = 'for', over: Partial<VoteBody> = {}): VoteBody => ({
  type: 'vote', v: 1, ns: 'default', proposal: open instanceof Uint8Array ? open : open.id, voter: voter.peerId, choice, metadata: {}, ...over
})

export async function sealVote (open: Open | Bytes, voter: Identity, choice: VoteType = 'for', over: Partial<VoteBody> = {}): Promise<OpenedVote> {
  return sealMessage(voter, voteBody(open, voter, choice, over))
}

export function closeBody (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): CloseBody {
  return {
    type: 'close', v: 1, ns: 'default', proposal: open.id, closer: h.ids[closer]!.peerId, rank: 0, closedAt: open.body.createdAt + 10,
    decision: 'timeout', votes: [], excluded: [], tally: [0, 0, 0, 0, 0, 0], ...over
  }
}

export async function sealClose (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): Promise<Bytes> {
  return (await sealMessage(h.ids[closer]!, closeBody(h, open, closer, over))).bytes
}

export async function sealAck (signer: Identity, proposal: Bytes, close: Bytes, over: { ns?: string } = {}): Promise<Bytes> {
  return (await sealMessage(signer, { type: 'ack', v: 1, ns: 'default', proposal, close, signer: signer.peerId, ...over })).bytes
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
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** Non-member identities (never in any electorate here). */
export async function outsiders (n: number): Promise<Identity[]> {
  return Promise.all(Array.from({ length: n }, async (_, k) => simulatedIdentity(100 + k)))
}

// ---------------------------------------------------------------------------------------------
// a tiny hand CBOR encoder (see wire.test.ts) for non-canonical inputs
// ---------------------------------------------------------------------------------------------

export function cat (...parts: Array<Bytes | number[]>): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

export function head (major: number, n: number, width?: 0 | 1 | 2 | 4): Bytes {
  const w = width ?? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : 4)
  if (w === 0) return new Uint8Array([(major << 5) | n])
  const out = new Uint8Array(1 + w)
  out[0] = (major << 5) | { 1: 24, 2: 25, 4: 26 }[w]
  for (let i = w, v = n; i >= 1; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

export const te = new TextEncoder()
export const cbor = {
  text: (s: string, w?: 0 | 1 | 2 | 4) => { const b = te.encode(s); return cat(head(3, b.length, w), b) },
  bytes: (b: Bytes, w?: 0 | 1 | 2 | 4) => cat(head(2, b.length, w), b),
  array: (items: Bytes[], w?: 0 | 1 | 2 | 4) => cat(head(4, items.length, w), ...items),
  map: (entries: Array<[Bytes, Bytes]>, w?: 0 | 1 | 2 | 4) => cat(head(5, entries.length, w), ...entries.flat())
}

export function entriesOf (body: object): Array<[Bytes, Bytes]> {
  return Object.entries(body).map(([k, v]) => [encodeCanonical(k), encodeCanonical(v)] as [Bytes, Bytes]).sort((a, b) => compareBytes(a[0], b[0]))
}

export function withValue (entries: Array<[Bytes, Bytes]>, key: string, value: Bytes): Array<[Bytes, Bytes]> {
  const k = encodeCanonical(key)
  return entries.map(([ek, ev]) => [ek, compareBytes(ek, k) === 0 ? value : ev] as [Bytes, Bytes])
}

const f16one = new Uint8Array([0xf9, 0x3c, 0x00])
const f64 = (x: number): Bytes => { const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, x); return b }

// ---------------------------------------------------------------------------------------------
// the corpus: classes and scenarios
// ---------------------------------------------------------------------------------------------

/**
 * One class of inputs and the verdict every one of them must get on every honest agent.
 * `attack` classes are what the corpus measures (never counted); `control` classes are valid or
 * boundary inputs fed in order with them (a member's real vote, the size limit exactly), showing the
 * harness accepts what it should: they are checked for their verdict, not for being uncounted.
 */
export interface CorpusClass {
  /** short id, e.g. `forged-signature` */
  name: string
  /** human title for tables */
  title: string
  description: string
  inputs: Bytes[]
  /** one per input, for failure messages */
  labels?: string[]
  expected: Verdict
  role: 'attack' | 'control'
  /** agents to feed (default: the scenario's honest agents) */
  targets?: number[]
  /** each input is fed this many times over (default 1): re-sent, still the same verdict */
  passes?: number
  /** messages accepted earlier (controls) that this class must get excluded from every count (an equivocator's first votes) */
  alsoUncounted?: Bytes[]
}

/** The decision the honest votes alone produce: what every honest agent must end with. */
export interface ExpectedOutcome {
  decision: ConsensusDecision
  /** agent indexes of the counted voters */
  voters: number[]
  votesFor: number
  votesAgainst: number
}

/** One round of honest votes; optionally advance time and require that nobody decided yet. */
export interface VoteStep {
  votes: Array<[number, VoteType]>
  advanceMs?: number
  /** after the step (and `advanceMs`), none of the conclusion's agents may have decided */
  undecided?: boolean
}

export interface Conclusion {
  label: string
  open: Open
  /** the agents that must decide (and agree) */
  agents: number[]
  steps: VoteStep[]
  expected: ExpectedOutcome
}

export interface Scenario {
  name: string
  h: Harness
  /** agents whose handleMessage gets every input */
  honest: number[]
  /** in the order they are fed */
  classes: CorpusClass[]
  /** proposals to decide afterwards, in order */
  conclusions: Conclusion[]
}

/** A class of a scenario by name (throws if absent). */
export function classOf (s: Scenario, name: string): CorpusClass {
  const c = s.classes.find(x => x.name === name)
  if (c === undefined) throw new Error(`scenario ${s.name} has no class ${name}`)
  return c
}

const reject = (reason: string): Verdict => ({ result: 'reject', reason })
const ignore = (reason: string): Verdict => ({ result: 'ignore', reason })
const accept = (reason: string): Verdict => ({ result: 'accept', reason })

/** The usual ending: honest members 0, 1 and 2 vote for, and the proposal is approved by exactly them. */
function honestApproval (open: Open): Conclusion {
  return {
    label: 'the proposal',
    open,
    agents: HONEST,
    steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'for']] }],
    expected: { decision: 'approved', voters: [0, 1, 2], votesFor: 3, votesAgainst: 0 }
  }
}

/** Bit flips in a vote's signature and signed body, and the voter's key substituted. */
export async function forgedVotesScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'forge' })
  const adv = h.ids[ADV]!
  const valid = await sealVote(open, adv, 'against', { metadata: { why: 'because' } })
  const body = bodyOf(valid.bytes)
  const sig = sigOf(valid.bytes)
  const inputs: Bytes[] = []
  const labels: string[] = []
  // signature bits
  for (const [at, bit] of [[0, 0], [5, 3], [31, 7], [32, 1], [63, 6]] as const) { inputs.push(wrap(body, flipBit(sig, at, bit))); labels.push(`signature byte ${at} bit ${bit}`) }
  // body bits inside the proposal hash and the metadata text: still canonical, still schema-valid
  const hashAt = indexOf(body, open.id)
  const textAt = indexOf(body, te.encode('because'))
  for (const at of [hashAt, hashAt + 7, hashAt + 31, textAt, textAt + 3]) { inputs.push(wrap(flipBit(body, at, 0), sig)); labels.push(`body byte ${at} bit 0`) }
  // the voter's key swapped: the body names another member, the signature stays the adversary's
  for (const other of HONEST) { inputs.push(wrap(encodeCanonical(voteBody(open, h.ids[other]!, 'against', { metadata: { why: 'because' } })), sig)); labels.push(`voter key of agent ${other}`) }
  return {
    name: 'forged votes',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'forged-signature',
      title: 'forged signature',
      description: 'A member\'s signed vote with one bit flipped in the signature (5) or in the signed body (proposal hash, metadata; 5), or its body re-pointed at another member\'s key (4).',
      inputs,
      labels,
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** Validly signed votes from outside the electorate. */
export async function nonMemberScenario (): Promise<Scenario & { open: Open, strangers: Identity[] }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'outsiders' })
  const strangers = await outsiders(6)
  const inputs = await Promise.all(strangers.map(async (s, k) => (await sealVote(open, s, k % 2 === 0 ? 'for' : 'against')).bytes))
  return {
    name: 'non-member voters',
    h,
    honest: HONEST,
    open,
    strangers,
    classes: [{
      name: 'non-member',
      title: 'non-member voter',
      description: 'Validly signed votes (3 for, 3 against) from six keys outside the electorate, each sent twice.',
      inputs,
      expected: reject('non-member'),
      role: 'attack',
      passes: 2
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      // two honest votes for: with the outsiders' three votes for this would be approved; it is not decided yet
      steps: [{ votes: [[0, 'for'], [1, 'for']], advanceMs: 100, undecided: true }, { votes: [[2, 'against'], [3, 'against'], [ADV, 'against']] }],
      expected: { decision: 'rejected', voters: [0, 1, 2, 3, ADV], votesFor: 2, votesAgainst: 3 }
    }]
  }
}

/** The adversary (or an outsider) signs votes naming members. */
export async function signerNotVoterScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'impersonate' })
  const [stranger] = await outsiders(1)
  const inputs: Bytes[] = []
  for (const named of [0, 1, 2, 3]) {
    const bodyBytes = encodeCanonical(voteBody(open, h.ids[named]!, 'against'))
    inputs.push(wrap(bodyBytes, await signBody(h.ids[ADV]!, 'vote', bodyBytes)))
  }
  const bodyBytes = encodeCanonical(voteBody(open, h.ids[1]!, 'against', { metadata: { by: 'outsider' } }))
  inputs.push(wrap(bodyBytes, await signBody(stranger!, 'vote', bodyBytes)))
  return {
    name: 'impersonation',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'signer-not-voter',
      title: 'signer ≠ voter',
      description: 'Votes naming each honest member as voter, signed by the adversary\'s member key (4) or an outsider\'s key (1).',
      inputs,
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** Votes and acks for proposals nobody knows; exact copies of a counted vote. */
export async function unknownAndDuplicateScenario (): Promise<Scenario & { open: Open, vote: OpenedVote }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'dups' })
  const adv = h.ids[ADV]!
  const unknown = await Promise.all([1, 2, 3, 4, 5].map(async k => (await sealVote(sha256(te.encode(`nowhere ${k}`)), adv, 'for')).bytes))
  unknown.push(await sealAck(adv, sha256(te.encode('nowhere')), sha256(te.encode('c'))))
  const vote = await sealVote(open, adv, 'for')
  // the same bytes, and equal copies of them, five more times
  const copies = [vote.bytes, new Uint8Array(vote.bytes), new Uint8Array(vote.bytes), vote.bytes, new Uint8Array(vote.bytes)]
  return {
    name: 'unknown proposals and duplicates',
    h,
    honest: HONEST,
    open,
    vote,
    classes: [{
      name: 'unknown-proposal',
      title: 'unknown proposal',
      description: 'Validly signed votes (5) and an ack (1) for proposals nobody made: kept (bounded) and pulled for, never counted.',
      inputs: unknown,
      expected: ignore('unknown-proposal'),
      role: 'attack'
    }, {
      name: 'member-vote',
      title: 'a member\'s valid vote',
      description: 'The adversary\'s own valid vote, once.',
      inputs: [vote.bytes],
      expected: accept('counted'),
      role: 'control'
    }, {
      name: 'duplicate',
      title: 'duplicate',
      description: 'The counted vote again: the same buffer twice and three byte-equal copies.',
      inputs: copies,
      expected: ignore('duplicate'),
      role: 'attack'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for']] }],
      expected: { decision: 'approved', voters: [0, 1, ADV], votesFor: 3, votesAgainst: 0 }
    }]
  }
}

/** A vote re-sent as is, and signatures made for proposal A moved onto the same body for proposal B. */
export async function replayProposalsScenario (): Promise<Scenario & { a: Open, b: Open, voteA: OpenedVote }> {
  const h = await makeSwarm(5)
  const a = await propose(h, 0, { which: 'A' })
  const b = await propose(h, 1, { which: 'B' })
  const adv = h.ids[ADV]!
  const voteA = await sealVote(a, adv, 'for')
  // signatures made for A (the adversary's, and members' never sent) attached to the same body for B
  const forA = [voteA, ...await Promise.all([0, 1, 2, 3].map(async i => sealVote(a, h.ids[i]!, 'for')))]
  const moved = forA.map(v => wrap(encodeCanonical({ ...v.body, proposal: b.id }), sigOf(v.bytes)))
  return {
    name: 'replay across proposals',
    h,
    honest: HONEST,
    a,
    b,
    voteA,
    classes: [{
      name: 'member-vote',
      title: 'a member\'s valid vote',
      description: 'The adversary\'s valid vote on proposal A, once.',
      inputs: [voteA.bytes],
      expected: accept('counted'),
      role: 'control'
    }, {
      name: 'replay-resent',
      title: 'replay: a counted vote re-sent',
      description: 'The counted vote on A sent five more times while proposals A and B are open.',
      inputs: [voteA.bytes, voteA.bytes, voteA.bytes, voteA.bytes, voteA.bytes],
      expected: ignore('duplicate'),
      role: 'attack'
    }, {
      name: 'replay-proposal',
      title: 'replay across proposals',
      description: 'Vote signatures made for proposal A (the adversary\'s and four members\') on the same body re-pointed at proposal B.',
      inputs: moved,
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [{
      label: 'proposal B',
      open: b,
      agents: HONEST,
      steps: [{ votes: [[0, 'against'], [1, 'against'], [2, 'against']] }],
      expected: { decision: 'rejected', voters: [0, 1, 2], votesFor: 0, votesAgainst: 3 }
    }, {
      label: 'proposal A',
      open: a,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for']] }],
      expected: { decision: 'approved', voters: [0, 1, ADV], votesFor: 3, votesAgainst: 0 }
    }]
  }
}

/** Validly signed messages of namespace "other", and their signatures moved onto "default" bodies. */
export async function replayNamespacesScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'namespaces' })
  const adv = h.ids[ADV]!
  const other = { ns: 'other' }
  const votes = await Promise.all([ADV, 1, 2, 3].map(async i => sealVote(open, h.ids[i]!, 'for', other)))
  const inputs: Bytes[] = [
    ...votes.map(v => v.bytes),
    await sealAck(adv, open.id, sha256(te.encode('c')), other),
    (await sealMessage(h.ids[0]!, { ...closeBody(h, open, 0), ns: 'other' })).bytes,
    (await sealMessage(adv, { ...open.body, ns: 'other', coordinator: adv.peerId, closers: [adv.peerId] })).bytes,
    encodeCanonical([encodeCanonical({ type: 'want', v: 1, ns: 'other', proposal: open.id, ids: [] })])
  ]
  const moved = votes.map(v => wrap(encodeCanonical({ ...v.body, ns: 'default' }), sigOf(v.bytes)))
  return {
    name: 'replay across namespaces',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'wrong-namespace',
      title: 'wrong namespace',
      description: 'Validly signed messages of namespace "other" naming this proposal: four votes, an ack, a close, a proposal, and a want.',
      inputs,
      labels: ['vote', 'vote', 'vote', 'vote', 'ack', 'close', 'proposal', 'want'],
      expected: reject('wrong-namespace'),
      role: 'attack'
    }, {
      name: 'replay-namespace',
      title: 'replay across namespaces',
      description: 'The four "other" votes\' signatures on the same bodies moved to namespace "default".',
      inputs: moved,
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      // 2 for of 5: the "other" votes of the adversary and members 2, 3 would have approved it
      steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'against'], [3, 'against']], advanceMs: 100, undecided: true }, { votes: [[ADV, 'against']] }],
      expected: { decision: 'rejected', voters: [0, 1, 2, 3, ADV], votesFor: 2, votesAgainst: 3 }
    }]
  }
}

/** The adversary's signatures of other message types (and other domains) on its vote body. */
export async function replayTypesScenario (): Promise<Scenario & { open: Open, voteBytes: Bytes }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'types' })
  const adv = h.ids[ADV]!
  const voteBytes = encodeCanonical(voteBody(open, adv, 'for'))
  const ack = await sealMessage(adv, { type: 'ack', v: 1, ns: 'default', proposal: open.id, close: sha256(te.encode('c')), signer: adv.peerId })
  const close = await sealMessage(adv, closeBody(h, open, ADV))
  const proposal = await sealMessage(adv, { ...open.body, coordinator: adv.peerId, closers: [adv.peerId] })
  const inputs: Bytes[] = [
    wrap(voteBytes, sigOf(ack.bytes)),
    wrap(voteBytes, sigOf(close.bytes)),
    wrap(voteBytes, sigOf(proposal.bytes)),
    ...await Promise.all(['ack', 'close', 'proposal', 'want'].map(async t => wrap(voteBytes, await signBody(adv, t, voteBytes)))),
    wrap(voteBytes, await adv.privateKey.sign(voteBytes)),
    // and the other way round: the vote's own signature on an ack body
    wrap(bodyOf(ack.bytes), await signBody(adv, 'vote', bodyOf(ack.bytes)))
  ]
  return {
    name: 'replay across message types',
    h,
    honest: HONEST,
    open,
    voteBytes,
    classes: [{
      name: 'replay-type',
      title: 'replay across message types',
      description: 'The adversary\'s vote body carrying its signature of an ack, a close or a proposal (3), signed in the ack/close/proposal/want domains (4) or with no domain (1); an ack body signed in the vote domain (1).',
      inputs,
      labels: ['ack signature', 'close signature', 'proposal signature', 'ack domain', 'close domain', 'proposal domain', 'want domain', 'raw key signature', 'ack body, vote domain'],
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** A vote with an extra `weight` field, correctly signed. */
export async function selfWeightScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'weight' })
  const adv = h.ids[ADV]!
  const inputs: Bytes[] = []
  for (const weight of [100, 0, 2 ** 32, '1000', [1000]]) {
    const bodyBytes = encodeCanonical({ ...voteBody(open, adv, 'for'), weight })
    inputs.push(wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)))
  }
  return {
    name: 'self-declared weight',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'self-weight',
      title: 'self-declared weight',
      description: 'The adversary\'s correctly signed vote with an extra `weight` field (100, 0, 2³², "1000", [1000]); weights are pinned by the proposal.',
      inputs,
      expected: reject('malformed'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** Messages one byte over their size limit, and exactly at it. */
export async function oversizeScenario (): Promise<Scenario & { open: Open, strangers: Identity[] }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'size' })
  const limit = 16 * 1024
  const strangers = await outsiders(5)
  const adv = h.ids[ADV]!
  const ofSize = async (who: Identity, size: number): Promise<Bytes> => {
    const base = (await sealVote(open, who, 'for', { metadata: { pad: '' } })).bytes.byteLength
    for (let pad = size - base - 8; pad <= size - base; pad++) {
      const s = await sealVote(open, who, 'for', { metadata: { pad: 'x'.repeat(pad) } })
      if (s.bytes.byteLength === size) return s.bytes
    }
    throw new Error(`no vote of ${size} bytes`)
  }
  // a proposal at the general limit (512 KiB) passes the size check; one byte more is oversize
  const proposalOfSize = async (size: number): Promise<Bytes> => {
    const make = (pad: number): ProposalBody => ({ ...open.body, ns: 'other', coordinator: adv.peerId, closers: [adv.peerId], payload: { pad: 'p'.repeat(pad) } })
    const base = (await sealMessage(adv, make(0))).bytes.byteLength
    for (let pad = size - base - 12; pad <= size - base; pad++) {
      const s = await sealMessage(adv, make(pad))
      if (s.bytes.byteLength === size) return s.bytes
    }
    throw new Error(`no proposal of ${size} bytes`)
  }
  const over = await Promise.all([adv, ...strangers].map(async who => ofSize(who, limit + 1)))
  const at = await Promise.all(strangers.map(async who => ofSize(who, limit)))
  return {
    name: 'size limits',
    h,
    honest: HONEST,
    open,
    strangers,
    classes: [{
      name: 'oversize',
      title: 'oversize by one byte',
      description: 'Validly signed votes of 16 KiB + 1 byte (the adversary\'s and five outsiders\'), and a proposal of 512 KiB + 1 byte.',
      inputs: [...over, await proposalOfSize(512 * 1024 + 1)],
      labels: [...over.map((_, k) => `vote ${k}`), 'proposal'],
      expected: reject('oversize'),
      role: 'attack'
    }, {
      name: 'at-limit-non-member',
      title: 'at the limit: outsiders\' votes',
      description: 'Outsiders\' votes of exactly 16 KiB pass the size check and fail membership.',
      inputs: at,
      expected: reject('non-member'),
      role: 'control'
    }, {
      name: 'at-limit-proposal',
      title: 'at the limit: a proposal of another namespace',
      description: 'A proposal of exactly 512 KiB (namespace "other") passes the size check and fails the namespace.',
      inputs: [await proposalOfSize(512 * 1024)],
      expected: reject('wrong-namespace'),
      role: 'control',
      targets: [1]
    }, {
      name: 'at-limit-member',
      title: 'at the limit: a member\'s vote',
      description: 'The adversary\'s vote of exactly 16 KiB is counted.',
      inputs: [await ofSize(adv, limit)],
      expected: accept('counted'),
      role: 'control'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for']] }],
      expected: { decision: 'approved', voters: [0, 1, ADV], votesFor: 3, votesAgainst: 0 }
    }]
  }
}

/** Correctly signed bodies and envelopes that are not canonical CBOR. */
export async function nonCanonicalScenario (): Promise<Scenario & { open: Open, valid: OpenedVote }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'cbor' })
  const adv = h.ids[ADV]!
  const e = entriesOf(voteBody(open, adv, 'for'))
  const bodies: Array<[string, Bytes, string]> = [
    ['keys unsorted', cbor.map([e[1]!, e[0]!, ...e.slice(2)]), 'non-canonical'],
    ['keys reversed', cbor.map([...e].reverse()), 'non-canonical'],
    ['v as float16 1.0', cbor.map(withValue(e, 'v', f16one)), 'non-canonical'],
    ['v as float64 1.0', cbor.map(withValue(e, 'v', f64(1))), 'non-canonical'],
    ['metadata float64 where float16 suffices', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), f64(0.5)]]))), 'non-canonical'],
    ['v as 0x1801', cbor.map(withValue(e, 'v', new Uint8Array([0x18, 0x01]))), 'malformed'],
    ['metadata NaN', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), new Uint8Array([0xf9, 0x7e, 0x00])]]))), 'malformed'],
    ['metadata Infinity', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), f64(Infinity)]]))), 'malformed'],
    ['duplicate key', cbor.map([...e, [cbor.text('v'), new Uint8Array([0x01])]]), 'malformed'],
    ['trailing byte', cat(cbor.map(e), [0x00]), 'malformed'],
    ['indefinite map', cat([0xbf], ...e.flat(), [0xff]), 'malformed'],
    ['indefinite text', cbor.map(withValue(e, 'ns', cat([0x7f], cbor.text('def'), cbor.text('ault'), [0xff]))), 'malformed'],
    ['tag around the proposal hash', cbor.map(withValue(e, 'proposal', cat([0xd8, 0x2a], cbor.bytes(open.id)))), 'malformed'],
    ['undefined in metadata', cbor.map(withValue(e, 'metadata', cbor.map([[cbor.text('x'), new Uint8Array([0xf7])]]))), 'malformed'],
    ['ns length in long form', cbor.map(withValue(e, 'ns', cbor.text('default', 1))), 'malformed']
  ]
  const signed: Array<[string, Bytes, string]> = []
  for (const [name, bodyBytes, reason] of bodies) signed.push([`body: ${name}`, wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)), reason])
  const valid = await sealVote(open, adv, 'for', { metadata: { round: 2 } })
  const vb = bodyOf(valid.bytes)
  const vs = sigOf(valid.bytes)
  const envelopes: Array<[string, Bytes, string]> = [
    ['array length long form', cbor.array([cbor.bytes(vb), cbor.bytes(vs)], 1), 'malformed'],
    ['body length long form', cbor.array([cbor.bytes(vb, 4), cbor.bytes(vs)]), 'malformed'],
    ['indefinite envelope', cat([0x9f], cbor.bytes(vb), cbor.bytes(vs), [0xff]), 'malformed'],
    ['tagged envelope', cat([0xd8, 0x18], cbor.array([cbor.bytes(vb), cbor.bytes(vs)])), 'malformed'],
    ['trailing byte', cat(valid.bytes, [0x00]), 'malformed'],
    ['third element 1.0 as float', cbor.array([cbor.bytes(vb), cbor.bytes(vs), f16one]), 'non-canonical'],
    ['map envelope, keys unsorted', cbor.map([[cbor.text('s'), cbor.bytes(vs)], [cbor.text('b'), cbor.bytes(vb)]]), 'non-canonical']
  ]
  const all = [...signed, ...envelopes.map(([name, bytes, reason]) => [`envelope: ${name}`, bytes, reason] as [string, Bytes, string])]
  const of = (reason: string): Array<[string, Bytes, string]> => all.filter(x => x[2] === reason)
  return {
    name: 'non-canonical CBOR',
    h,
    honest: HONEST,
    open,
    valid,
    classes: [{
      name: 'non-canonical',
      title: 'non-canonical CBOR (re-encodes differently)',
      description: 'Correctly signed vote bodies, or envelopes, that decode strictly but are not the canonical encoding: unsorted keys, a float where an integer belongs, a float wider than needed, a map envelope.',
      inputs: of('non-canonical').map(x => x[1]),
      labels: of('non-canonical').map(x => x[0]),
      expected: reject('non-canonical'),
      role: 'attack'
    }, {
      name: 'malformed-cbor',
      title: 'non-canonical CBOR (strict decoder refuses)',
      description: 'Correctly signed vote bodies, or envelopes, the strict decoder refuses: long-form integers and lengths, NaN, Infinity, undefined, duplicate keys, trailing bytes, indefinite lengths, tags.',
      inputs: of('malformed').map(x => x[1]),
      labels: of('malformed').map(x => x[0]),
      expected: reject('malformed'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}

/** Five members each sign two different votes: the second is equivocation evidence, every time. */
export async function equivocationScenario (): Promise<Scenario & { open: Open, pairs: Array<[OpenedVote, OpenedVote]>, cheats: number[] }> {
  // 6 honest members and 5 equivocators: approval needs 6 of 11 for
  const honest = [0, 1, 2, 3, 4, 5]
  const cheats = [6, 7, 8, 9, 10]
  const h = await makeSwarm(11)
  const open = await propose(h, 0, { action: 'equivocate' })
  const pairs: Array<[OpenedVote, OpenedVote]> = []
  for (const c of cheats) pairs.push([await sealVote(open, h.ids[c]!, 'for'), await sealVote(open, h.ids[c]!, 'against', { metadata: { changed: 'mind' } })])
  const third = await Promise.all(cheats.map(async c => (await sealVote(open, h.ids[c]!, 'abstain')).bytes))
  const firsts = pairs.map(p => p[0].bytes)
  return {
    name: 'equivocation',
    h,
    honest,
    open,
    pairs,
    cheats,
    classes: [{
      name: 'first-votes',
      title: 'the equivocators\' first votes',
      description: 'Each of five members\' first valid vote (for), counted on arrival.',
      inputs: firsts,
      expected: accept('counted'),
      role: 'control'
    }, {
      name: 'equivocation',
      title: 'equivocation',
      description: 'Each of the five members\' second, different, validly signed vote (against): accepted and relayed as evidence, the voter excluded, neither vote counted.',
      inputs: pairs.map(p => p[1].bytes),
      expected: accept('equivocation'),
      role: 'attack',
      alsoUncounted: firsts
    }, {
      name: 'equivocation-again',
      title: 'equivocation, again',
      description: 'A third vote (abstain) from each equivocator, and their second votes re-sent: no new evidence.',
      inputs: [...third, ...pairs.map(p => p[1].bytes)],
      expected: ignore('duplicate'),
      role: 'attack',
      alsoUncounted: firsts
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: honest,
      steps: [{ votes: honest.map(i => [i, 'for'] as [number, VoteType]) }],
      expected: { decision: 'approved', voters: honest, votesFor: 6, votesAgainst: 0 }
    }]
  }
}

/** Closes a live peer must reject: wrong closer, before its slot, wrong tally, wrong decision, … */
export async function forgedClosesScenario (): Promise<Scenario & { open: Open, excludedPair: Array<[Bytes, Bytes]> }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'closes' })
  const { deadline, step, createdAt } = open.body
  const r0 = open.closer(0)
  const r1 = open.closer(1)
  const r2 = open.closer(2)
  if (r0 !== 0 || new Set([r0, r1, r2]).size !== 3) throw new Error(`closers: expected agent 0 then two others, got ${r0}, ${r1}, ${r2}`)
  // held by every honest peer: member 3 against; the adversary's equivocating pair
  const v3 = await sealVote(open, h.ids[3]!, 'against')
  const v4a = await sealVote(open, h.ids[ADV]!, 'for')
  const v4b = await sealVote(open, h.ids[ADV]!, 'against')
  const slot1 = deadline + step
  const slot2 = deadline + 2 * step
  const empty = { decision: 'timeout' as const, votes: [], tally: [0, 0, 0, 0, 0, 0] as CloseBody['tally'] }
  const excludedPair = [sortIds(v4a.id, v4b.id) as [Bytes, Bytes]]
  const attack = (name: string, title: string, description: string, inputs: Bytes[]): CorpusClass => ({ name, title, description, inputs, expected: reject(name), role: 'attack' })
  const classes: CorpusClass[] = [
    { name: 'member-vote', title: 'a member\'s valid vote', description: 'Member 3\'s vote against.', inputs: [v3.bytes], expected: accept('counted'), role: 'control' },
    { name: 'member-vote-2', title: 'the adversary\'s first vote', description: 'The adversary\'s vote for.', inputs: [v4a.bytes], expected: accept('counted'), role: 'control' },
    { name: 'member-equivocation', title: 'the adversary\'s second vote', description: 'The adversary\'s vote against: equivocation, so its pair is excluded.', inputs: [v4b.bytes], expected: accept('equivocation'), role: 'control' },
    attack('not-closer', 'close by a non-closer', 'Validly signed closes by members that are not the closer of the rank they claim: rank 0 by non-coordinators (4), rank 1 by all but its closer (4), rank 2 by the rank-1 closer, an unlisted rank 7.', [
      ...await Promise.all([1, 2, 3, 4].map(async i => sealClose(h, open, i, { rank: 0, closedAt: deadline, ...empty }))),
      ...await Promise.all([0, 1, 2, 3, 4].filter(i => i !== r1).map(async i => sealClose(h, open, i, { rank: 1, closedAt: slot1, ...empty }))),
      await sealClose(h, open, r1, { rank: 2, closedAt: slot2, ...empty }),
      await sealClose(h, open, 0, { rank: 7, closedAt: deadline + 7 * step, ...empty })
    ]),
    attack('before-slot', 'close before its slot', 'Fallback closers\' closes whose signed closedAt is before deadline + rank·Δ (from the proposal\'s creation to 1 ms before the slot).', [
      await sealClose(h, open, r1, { rank: 1, closedAt: createdAt, ...empty }),
      await sealClose(h, open, r1, { rank: 1, closedAt: deadline - 1, ...empty }),
      await sealClose(h, open, r1, { rank: 1, closedAt: deadline, ...empty }),
      await sealClose(h, open, r1, { rank: 1, closedAt: slot1 - 1, ...empty }),
      await sealClose(h, open, r2, { rank: 2, closedAt: slot1, ...empty }),
      await sealClose(h, open, r2, { rank: 2, closedAt: slot2 - 1, ...empty })
    ]),
    attack('early-timeout', 'timeout before the deadline', 'The coordinator\'s timeout closes dated before the deadline.',
      await Promise.all([createdAt, createdAt + 1, createdAt + 5, deadline - 1000, deadline - 1].map(async closedAt => sealClose(h, open, 0, { rank: 0, closedAt, ...empty })))),
    attack('wrong-tally', 'wrong tally', 'Closes counting member 3\'s vote with one tally field off by one (6), and an empty close claiming one vote against.', [
      ...await Promise.all([0, 1, 2, 3, 4, 5].map(async k => {
        const tally: CloseBody['tally'] = [0, 1, 0, 0, 1, 0]
        tally[k] = (tally[k] as number) + 1
        return sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [v3.id], tally })
      })),
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [], tally: [0, 1, 0, 0, 1, 0] })
    ]),
    attack('wrong-decision', 'wrong decision', 'Closes with a correct tally but a decision the pinned algorithm does not reach (approved or rejected while unsettled).', [
      await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'approved', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'approved', votes: [], tally: [0, 0, 0, 0, 0, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0], excluded: [] })
    ]),
    attack('double-vote', 'two votes of one voter', 'Closes counting both of the equivocator\'s votes, or counting one of them while listing the pair as excluded.', [
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v4a.id, v4b.id), tally: [1, 1, 0, 1, 1, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v3.id, v4a.id, v4b.id), tally: [1, 2, 0, 1, 2, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [v4a.id], excluded: excludedPair, tally: [1, 0, 0, 1, 0, 0] }),
      await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [v4b.id], excluded: excludedPair, tally: [0, 1, 0, 0, 1, 0] }),
      await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'timeout', votes: sortIds(v3.id, v4b.id), excluded: excludedPair, tally: [0, 2, 0, 0, 2, 0] })
    ]),
    attack('bad-evidence', 'false equivocation evidence', 'Closes by each closer excluding a "pair" of votes by two different voters (member 3 and the adversary), to silence an honest member.', [
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4a.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4a.id) as [Bytes, Bytes]] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [v4a.id], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]], tally: [1, 0, 0, 1, 0, 0] }),
      await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [v3.id], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]], tally: [0, 1, 0, 0, 1, 0] })
    ])
  ]
  return {
    name: 'forged closes',
    h,
    honest: HONEST,
    open,
    excludedPair,
    classes,
    conclusions: [{
      label: 'the proposal',
      open,
      agents: HONEST,
      steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'for']] }],
      expected: { decision: 'approved', voters: HONEST, votesFor: 3, votesAgainst: 1 }
    }]
  }
}

/**
 * Fallback closers that forward-date their close: signed `closedAt` at (or after) their slot, sent
 * right after the proposal. Fully checked, then held until the slot by the receiver's clock.
 * The adversary holds the keys of both fallback closers; the coordinator and the other two are honest.
 */
export async function earlyCloseScenario (): Promise<Scenario & { open: Open }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'forward-dated' })
  const { deadline, step } = open.body
  const r1 = open.closer(1)
  const r2 = open.closer(2)
  const honest = [0, 1, 2, 3, 4].filter(i => i !== r1 && i !== r2)
  const slot1 = deadline + step
  const slot2 = deadline + 2 * step
  // two per closer: a closer's third close is dropped as 'close-limit' before any check
  const inputs = [
    await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout' }),
    await sealClose(h, open, r1, { rank: 1, closedAt: slot1 + step / 2, decision: 'timeout' }),
    await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'timeout' }),
    await sealClose(h, open, r2, { rank: 2, closedAt: slot2 + step / 2, decision: 'timeout' })
  ]
  return {
    name: 'early-dated closes',
    h,
    honest,
    open,
    classes: [{
      name: 'early-close',
      title: 'early-dated close',
      description: 'Both fallback closers sign timeout closes dated at (or after) their own slot and send them right after the proposal: correct by their signed fields, early by the receivers\' clocks.',
      inputs,
      expected: ignore('early-close'),
      role: 'attack'
    }],
    conclusions: [{
      label: 'the proposal',
      open,
      agents: honest,
      steps: [{ votes: honest.map(i => [i, 'for'] as [number, VoteType]) }],
      expected: { decision: 'approved', voters: honest, votesFor: 3, votesAgainst: 0 }
    }]
  }
}

/** Every scenario of the corpus, in report order. */
export const SCENARIOS: Array<() => Promise<Scenario>> = [
  forgedVotesScenario,
  nonMemberScenario,
  signerNotVoterScenario,
  unknownAndDuplicateScenario,
  replayProposalsScenario,
  replayNamespacesScenario,
  replayTypesScenario,
  selfWeightScenario,
  oversizeScenario,
  nonCanonicalScenario,
  equivocationScenario,
  forgedClosesScenario,
  earlyCloseScenario
]

// ---------------------------------------------------------------------------------------------
// deciding afterwards
// ---------------------------------------------------------------------------------------------

export interface Concluded {
  conclusion: Conclusion
  /** the requester's result */
  result: ConsensusResult
  /** every step marked `undecided` found nobody decided */
  undecidedHeld: boolean
}

/** Cast each conclusion's honest votes in order and run until its agents decided. */
export async function concludeScenario (s: Scenario): Promise<Concluded[]> {
  const out: Concluded[] = []
  for (const conclusion of s.conclusions) {
    let undecidedHeld = true
    for (const step of conclusion.steps) {
      for (const [i, choice] of step.votes) await s.h.swarm.agent(i).manager.recordVote(conclusion.open.key, choice)
      if (step.advanceMs !== undefined) await s.h.swarm.clock.advance(step.advanceMs)
      if (step.undecided === true && conclusion.agents.some(i => s.h.swarm.agent(i).decisions.has(conclusion.open.key))) undecidedHeld = false
    }
    out.push({ conclusion, result: await finish(s.h, conclusion.open, conclusion.agents), undecidedHeld })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// running the corpus
// ---------------------------------------------------------------------------------------------

export interface ClassReport {
  scenario: string
  name: string
  title: string
  description: string
  role: 'attack' | 'control'
  /** distinct inputs */
  inputs: number
  /** inputs × targets × passes */
  deliveries: number
  expected: Verdict
  /** `result:reason` → deliveries */
  verdicts: Record<string, number>
  /** inputs every delivery of which got the expected verdict */
  inputsAsExpected: number
  deliveriesAsExpected: number
  /** inputs counted: a vote event while handled, or in a final certificate's counted votes, or (closes) acked or certified */
  counted: number
  /** evidence events raised while the class was fed */
  evidence: number
  /** the first few deliveries that went wrong */
  problems: string[]
}

export interface ConclusionReport {
  label: string
  expected: ExpectedOutcome
  /** what the requester got */
  decision: string
  voters: number[]
  votesFor: number
  votesAgainst: number
  /** decision, voters and tallies as expected on every deciding agent, all with one certificate */
  unchanged: boolean
  certificateVerifies: boolean
  /** still the same certificate on every agent after the scenario's time ran on past every slot */
  stable: boolean
  problems: string[]
}

export interface ScenarioReport {
  name: string
  agents: number
  honest: number[]
  classes: ClassReport[]
  conclusions: ConclusionReport[]
  /** evidence events by kind over the whole scenario, all honest agents */
  evidenceByKind: Record<string, number>
  /** distinct vote envelopes the final certificates count (must be the expected honest voters') */
  certifiedVotes: number
}

export interface CorpusReport {
  scenarios: ScenarioReport[]
  /** every class of every scenario, in order */
  classes: ClassReport[]
}

const verdictKey = (v: Verdict): string => `${v.result}:${v.reason}`
const bytesKey = (b: Bytes): string => idToString(sha256(b))

/** Content id (hex) of an envelope's body, if it is a decodable envelope. */
function bodyKey (bytes: Bytes): string | undefined {
  try {
    const envelope = decodeCanonical(bytes, 1 << 20)
    if (Array.isArray(envelope) && envelope[0] instanceof Uint8Array) return idToString(contentId(envelope[0]))
  } catch {}
  return undefined
}

async function tryOpen (bytes: Bytes): Promise<AnyOpened | undefined> {
  try { return await openMessage(bytes) } catch { return undefined }
}

/**
 * Build every scenario, feed every input of every class (in order) to every honest agent, then let
 * the honest members vote and check the decision. Returns per class: inputs, verdicts, how many got
 * the expected one, how many were counted; per proposal: whether the honest decision is the one the
 * honest votes alone give, agreed on, with a certificate that verifies.
 */
export async function runCorpus (options: { onProgress?: (line: string) => void, scenarios?: Array<() => Promise<Scenario>> } = {}): Promise<CorpusReport> {
  const report: CorpusReport = { scenarios: [], classes: [] }
  for (const build of options.scenarios ?? SCENARIOS) {
    const s = await build()
    const sr = await runScenario(s)
    report.scenarios.push(sr)
    report.classes.push(...sr.classes)
    options.onProgress?.(`${s.name}: ${sr.classes.filter(c => c.role === 'attack').map(c => `${c.name} ${c.inputsAsExpected}/${c.inputs}`).join(', ')}`)
    await s.h.swarm.stop()
  }
  return report
}

/** Feed one scenario's classes, decide, and measure. */
export async function runScenario (s: Scenario): Promise<ScenarioReport> {
  const { h } = s
  const classes: ClassReport[] = []
  /** per class: which inputs produced a vote event */
  const eventCounted: boolean[][] = []
  for (const c of s.classes) {
    const targets = c.targets ?? s.honest
    const passes = c.passes ?? 1
    const cr: ClassReport = {
      scenario: s.name, name: c.name, title: c.title, description: c.description, role: c.role,
      inputs: c.inputs.length, deliveries: c.inputs.length * targets.length * passes, expected: c.expected,
      verdicts: {}, inputsAsExpected: 0, deliveriesAsExpected: 0, counted: 0, evidence: 0, problems: []
    }
    const good = c.inputs.map(() => true)
    const events = c.inputs.map(() => false)
    for (let pass = 0; pass < passes; pass++) {
      for (const [k, bytes] of c.inputs.entries()) {
        for (const i of targets) {
          const votesBefore = h.votes[i]?.length ?? 0
          const evidenceBefore = h.evidence[i]?.length ?? 0
          let verdict: Verdict
          try {
            verdict = await h.swarm.agent(i).manager.handleMessage(bytes, MALLORY)
          } catch (err: any) {
            verdict = { result: 'ignore', reason: `THREW ${String(err?.message ?? err)}` }
          }
          cr.verdicts[verdictKey(verdict)] = (cr.verdicts[verdictKey(verdict)] ?? 0) + 1
          if (verdictKey(verdict) === verdictKey(c.expected)) {
            cr.deliveriesAsExpected++
          } else {
            good[k] = false
            if (cr.problems.length < 5) cr.problems.push(`input ${k}${c.labels?.[k] !== undefined ? ` (${c.labels[k]})` : ''} at agent ${i}: got ${verdictKey(verdict)}, expected ${verdictKey(c.expected)}`)
          }
          if ((h.votes[i]?.length ?? 0) > votesBefore) events[k] = true
          cr.evidence += (h.evidence[i]?.length ?? 0) - evidenceBefore
        }
      }
    }
    cr.inputsAsExpected = good.filter(Boolean).length
    classes.push(cr)
    eventCounted.push(events)
  }

  // decide
  const conclusions: ConclusionReport[] = []
  let concluded: Concluded[] = []
  try {
    concluded = await concludeScenario(s)
  } catch (err: any) {
    for (const conclusion of s.conclusions) {
      conclusions.push({
        label: conclusion.label, expected: conclusion.expected, decision: 'none', voters: [], votesFor: 0, votesAgainst: 0,
        unchanged: false, certificateVerifies: false, stable: false, problems: [String(err?.message ?? err)]
      })
    }
  }
  const indexOfPeer = (peerId: string): number => h.ids.findIndex(id => id.peerId === peerId)
  const sameSet = (a: number[], b: number[]): boolean => a.length === b.length && [...a].sort((x, y) => x - y).every((x, k) => x === [...b].sort((p, q) => p - q)[k])
  for (const { conclusion, result, undecidedHeld } of concluded) {
    const problems: string[] = []
    if (!undecidedHeld) problems.push('decided before every honest vote was in')
    const voters = result.voters.map(indexOfPeer)
    const e = conclusion.expected
    if (result.decision !== e.decision) problems.push(`decision ${result.decision}, expected ${e.decision}`)
    if (!sameSet(voters, e.voters)) problems.push(`voters ${voters.join(',')}, expected ${e.voters.join(',')}`)
    if (result.votesFor !== e.votesFor || result.votesAgainst !== e.votesAgainst) problems.push(`tally ${result.votesFor} for / ${result.votesAgainst} against, expected ${e.votesFor} / ${e.votesAgainst}`)
    const certId = result.certificate?.id
    for (const i of conclusion.agents) {
      const d = h.swarm.agent(i).decisions.get(conclusion.open.key)
      if (d?.decision !== result.decision || d.certificate?.id !== certId || d.voters.join() !== result.voters.join()) problems.push(`agent ${i} holds another decision`)
    }
    let certificateVerifies = false
    if (result.certificate !== undefined) {
      try {
        const verified = await verifyCertificate(result.certificate)
        certificateVerifies = verified.decision === result.decision && Object.keys(verified.votes).sort().join() === result.voters.join()
        if (!certificateVerifies) problems.push('the certificate verifies to another decision or other voters')
      } catch (err: any) {
        problems.push(`certificate: ${String(err?.reason ?? err?.message ?? err)}`)
      }
    } else {
      problems.push('no certificate')
    }
    conclusions.push({
      label: conclusion.label, expected: e, decision: result.decision, voters, votesFor: result.votesFor, votesAgainst: result.votesAgainst,
      unchanged: problems.length === 0, certificateVerifies, stable: true, problems
    })
  }

  // let time run past every closer's slot and the finality rounds: held closes come due, nothing changes
  const horizon = Math.max(...s.conclusions.map(c => c.open.body.deadline + (c.open.body.closers.length + 6) * c.open.body.step))
  if (h.swarm.clock.now() < horizon) await h.swarm.clock.runUntil(horizon)
  await macrotask()
  for (const [k, { conclusion, result }] of concluded.entries()) {
    const report = conclusions[k] as ConclusionReport
    for (const i of conclusion.agents) {
      if (h.swarm.agent(i).decisions.get(conclusion.open.key)?.certificate?.id !== result.certificate?.id) {
        report.stable = false
        report.problems.push(`agent ${i}'s decision changed later`)
      }
    }
  }

  // counted: what every honest peer's final certificates count, and which closes honest peers acked
  const honestPeers = new Set(s.honest.map(i => h.ids[i]!.peerId))
  const countedEnvelopes = new Set<string>()
  const certifiedCloses = new Set<string>()
  for (const { conclusion } of concluded) {
    for (const i of conclusion.agents) {
      const certificate = h.swarm.agent(i).decisions.get(conclusion.open.key)?.certificate
      if (certificate === undefined) continue
      certifiedCloses.add(certificate.id)
      const close = await tryOpen(certificate.close)
      const countedIds = new Set(close?.body.type === 'close' ? close.body.votes.map(idToString) : [])
      for (const v of certificate.votes) if (countedIds.has(bodyKey(v) ?? '')) countedEnvelopes.add(bytesKey(v))
    }
  }
  const ackedCloses = new Set<string>()
  for (const sent of h.sent) {
    if (!honestPeers.has(sent.from)) continue
    const opened = await tryOpen(sent.bytes)
    if (opened?.body.type === 'ack') ackedCloses.add(idToString(opened.body.close))
  }
  const legit = new Set(s.classes.filter(c => c.role === 'control' && c.expected.result === 'accept').flatMap(c => c.inputs.map(bytesKey)))
  const isCounted = (bytes: Bytes, eventSeen: boolean): boolean => {
    if (eventSeen) return true
    const id = bodyKey(bytes)
    if (id !== undefined && (ackedCloses.has(id) || certifiedCloses.has(id))) return true
    // an exact copy of a counted control vote is that vote: its copies count only through a second vote event
    return !legit.has(bytesKey(bytes)) && countedEnvelopes.has(bytesKey(bytes))
  }
  for (const [ci, c] of s.classes.entries()) {
    const cr = classes[ci] as ClassReport
    cr.counted = c.inputs.filter((bytes, k) => isCounted(bytes, eventCounted[ci]?.[k] === true)).length
    // messages this class must have excluded from the count (an equivocator's first votes)
    cr.counted += (c.alsoUncounted ?? []).filter(bytes => countedEnvelopes.has(bytesKey(bytes))).length
  }

  // self-check of the count itself: the final certificates count exactly the expected honest voters' votes
  const expectedCounted = concluded.reduce((n, c) => n + c.conclusion.expected.voters.length, 0)
  if (countedEnvelopes.size !== expectedCounted) {
    for (const c of conclusions) c.problems.push(`the certificates count ${countedEnvelopes.size} distinct votes, expected ${expectedCounted}`)
    for (const c of conclusions) c.unchanged = false
  }

  const evidenceByKind: Record<string, number> = {}
  for (const i of s.honest) for (const e of h.evidence[i] ?? []) evidenceByKind[e.kind] = (evidenceByKind[e.kind] ?? 0) + 1
  return { name: s.name, agents: h.ids.length, honest: s.honest, classes, conclusions, evidenceByKind, certifiedVotes: countedEnvelopes.size }
}
