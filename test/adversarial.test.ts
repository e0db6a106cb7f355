/**
 * Adversarial inputs through `ConsensusManager.handleMessage` on a live simulated swarm: every class
 * of forged, replayed, malformed or dishonest message gets the expected verdict on every honest peer,
 * and none of them is counted in a tally, a decision or a certificate.
 *
 * Honest agents never auto-vote here (`vote: () => undefined`) unless a test says so: the test casts
 * their votes with `recordVote` once the adversarial inputs were fed, so the proposal stays open while
 * they arrive, and the final decision shows what was (not) counted.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { defaultAlgorithms, weighted } from '../src/algorithms/index.js'
import { verifyCertificate, type Certificate } from '../src/core/certificate.js'
import { checkProposal } from '../src/core/context.js'
import { checkClose } from '../src/core/verify-close.js'
import { InvalidMessageError } from '../src/errors.js'
import { SimulatedSwarm, simulatedIdentity, type SwarmInit } from '../src/sim/swarm.js'
import { macrotask } from '../src/sim/virtual-clock.js'
import { decodeCanonical, encodeCanonical } from '../src/wire/codec.js'
import { openMessage, sealMessage, type OpenedProposal, type OpenedVote } from '../src/wire/envelope.js'
import { compareBytes, type CloseBody, type ProposalBody, type VoteBody } from '../src/wire/messages.js'
import { idToString, signBody, type Identity } from '../src/wire/signing.js'
import type { ConsensusResult } from '../src/core/results.js'
import type { EvidenceEvent, VoteEvent } from '../src/core/manager.js'
import type { Verdict } from '../src/transport/coordinator.js'
import type { CborRecord, VoteType } from '../src/types.js'

type Bytes = Uint8Array

// ---------------------------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------------------------

/** The peer adversarial inputs claim to come from; not on the network, so pulls sent back are dropped. */
const MALLORY = 'mallory'

interface Harness {
  swarm: SimulatedSwarm
  ids: Identity[]
  /** every send on the network: from, to, bytes */
  sent: Array<{ from: string, to: string, bytes: Bytes }>
  votes: VoteEvent[][]
  evidence: EvidenceEvent[][]
}

interface Open {
  opened: OpenedProposal
  body: ProposalBody
  key: string
  id: Bytes
  result: Promise<ConsensusResult>
  settled: () => boolean
  /** agent index of closers[rank] */
  closer: (rank: number) => number
}

async function makeSwarm (agents: number, init: Partial<SwarmInit> = {}): Promise<Harness> {
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
async function propose (h: Harness, requester: number, payload: CborRecord, options: { timeoutMs?: number, algorithm?: string } = {}): Promise<Open> {
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
async function runUntil (h: Harness, done: () => boolean, maxMs = 10 * 60_000): Promise<void> {
  const limit = h.swarm.clock.now() + maxMs
  await macrotask()
  while (!done() && h.swarm.clock.now() < limit) await h.swarm.clock.runUntil(h.swarm.clock.now() + 50)
}

/** Run until the requester has its result and `agents` all decided; returns the requester's result. */
async function finish (h: Harness, open: Open, agents: number[]): Promise<ConsensusResult> {
  await runUntil(h, () => open.settled() && agents.every(i => h.swarm.agent(i).decisions.has(open.key)))
  const result = await open.result
  for (const i of agents) expect(h.swarm.agent(i).decisions.get(open.key), `agent ${i} decided`).toBeDefined()
  return result
}

/** Feed `bytes` to each target's `handleMessage`; returns the verdicts. */
async function feed (h: Harness, bytes: Bytes, targets: number[], from = MALLORY): Promise<Verdict[]> {
  const out: Verdict[] = []
  for (const i of targets) out.push(await h.swarm.agent(i).manager.handleMessage(bytes, from))
  return out
}

/** Feed every input to every target and expect `expected` each time; returns how many verdicts were checked. */
async function expectVerdicts (h: Harness, inputs: Bytes[], targets: number[], expected: Verdict, label = ''): Promise<number> {
  let n = 0
  for (const [k, bytes] of inputs.entries()) {
    const verdicts = await feed(h, bytes, targets)
    verdicts.forEach((v, t) => { expect(v, `${label} input ${k} at agent ${targets[t]}`).toEqual(expected) })
    n += verdicts.length
  }
  return n
}

const voteBody = (open: Open | Bytes, voter: Identity, choice: VoteType = 'for', over: Partial<VoteBody> = {}): VoteBody => ({
  type: 'vote', v: 1, ns: 'default', proposal: open instanceof Uint8Array ? open : open.id, voter: voter.peerId, choice, metadata: {}, ...over
})

async function sealVote (open: Open | Bytes, voter: Identity, choice: VoteType = 'for', over: Partial<VoteBody> = {}): Promise<OpenedVote> {
  return sealMessage(voter, voteBody(open, voter, choice, over))
}

function closeBody (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): CloseBody {
  return {
    type: 'close', v: 1, ns: 'default', proposal: open.id, closer: h.ids[closer]!.peerId, rank: 0, closedAt: open.body.createdAt + 10,
    decision: 'timeout', votes: [], excluded: [], tally: [0, 0, 0, 0, 0, 0], ...over
  }
}

async function sealClose (h: Harness, open: Open, closer: number, over: Partial<CloseBody> = {}): Promise<Bytes> {
  return (await sealMessage(h.ids[closer]!, closeBody(h, open, closer, over))).bytes
}

const sortIds = (...ids: Bytes[]): Bytes[] => [...ids].sort(compareBytes)
const bodyOf = (envelope: Bytes): Bytes => (decodeCanonical(envelope, 1 << 20) as Bytes[])[0] as Bytes
const sigOf = (envelope: Bytes): Bytes => (decodeCanonical(envelope, 1 << 20) as Bytes[])[1] as Bytes
const wrap = (body: Bytes, sig: Bytes): Bytes => encodeCanonical([body, sig])

function flipBit (bytes: Bytes, at: number, bit: number): Bytes {
  const out = new Uint8Array(bytes) // a real copy (a Buffer's slice is a view)
  out[at] = (out[at] as number) ^ (1 << bit)
  return out
}

function indexOf (haystack: Bytes, needle: Bytes): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** Non-member identities (never in any electorate here). */
async function outsiders (n: number): Promise<Identity[]> {
  return Promise.all(Array.from({ length: n }, async (_, k) => simulatedIdentity(100 + k)))
}

async function expectCertificate (result: ConsensusResult): Promise<Certificate> {
  expect(result.certificate).toBeDefined()
  const certificate = result.certificate as Certificate
  const verified = await verifyCertificate(certificate)
  expect(verified.decision).toBe(result.decision)
  expect(Object.keys(verified.votes).sort()).toEqual(result.voters)
  return certificate
}

/** Every listed agent decided the same decision with the same certificate id. */
function expectAgreement (h: Harness, key: string, agents: number[]): ConsensusResult {
  const results = agents.map(i => h.swarm.agent(i).decisions.get(key))
  const first = results[0] as ConsensusResult
  expect(first).toBeDefined()
  for (const [k, r] of results.entries()) {
    expect(r?.decision, `agent ${agents[k]}`).toBe(first.decision)
    expect(r?.certificate?.id, `agent ${agents[k]}`).toBe(first.certificate?.id)
    expect(r?.voters, `agent ${agents[k]}`).toEqual(first.voters)
  }
  return first
}

/** Vote events seen so far by `agents` for `key`, from `voter` (or any). */
function voteEventsFor (h: Harness, agents: number[], key: string, voter?: string): VoteEvent[] {
  return agents.flatMap(i => h.votes[i] ?? []).filter(v => v.proposalId === key && (voter === undefined || v.voter === voter))
}

const HONEST = [0, 1, 2, 3]
const ADV = 4

// ---------------------------------------------------------------------------------------------
// a tiny hand CBOR encoder (see wire.test.ts) for non-canonical inputs
// ---------------------------------------------------------------------------------------------

function cat (...parts: Array<Bytes | number[]>): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function head (major: number, n: number, width?: 0 | 1 | 2 | 4): Bytes {
  const w = width ?? (n < 24 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : 4)
  if (w === 0) return new Uint8Array([(major << 5) | n])
  const out = new Uint8Array(1 + w)
  out[0] = (major << 5) | { 1: 24, 2: 25, 4: 26 }[w]
  for (let i = w, v = n; i >= 1; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

const te = new TextEncoder()
const cbor = {
  text: (s: string, w?: 0 | 1 | 2 | 4) => { const b = te.encode(s); return cat(head(3, b.length, w), b) },
  bytes: (b: Bytes, w?: 0 | 1 | 2 | 4) => cat(head(2, b.length, w), b),
  array: (items: Bytes[], w?: 0 | 1 | 2 | 4) => cat(head(4, items.length, w), ...items),
  map: (entries: Array<[Bytes, Bytes]>, w?: 0 | 1 | 2 | 4) => cat(head(5, entries.length, w), ...entries.flat())
}

function entriesOf (body: object): Array<[Bytes, Bytes]> {
  return Object.entries(body).map(([k, v]) => [encodeCanonical(k), encodeCanonical(v)] as [Bytes, Bytes]).sort((a, b) => compareBytes(a[0], b[0]))
}

function withValue (entries: Array<[Bytes, Bytes]>, key: string, value: Bytes): Array<[Bytes, Bytes]> {
  const k = encodeCanonical(key)
  return entries.map(([ek, ev]) => [ek, compareBytes(ek, k) === 0 ? value : ev] as [Bytes, Bytes])
}

// ---------------------------------------------------------------------------------------------
// votes
// ---------------------------------------------------------------------------------------------

describe('forged votes', () => {
  it('bit flips in the signature, in the signed body and a substituted key → reject bad-signature, never counted', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'forge' })
    const adv = h.ids[ADV]!
    const valid = await sealVote(open, adv, 'against', { metadata: { why: 'because' } })
    const body = bodyOf(valid.bytes)
    const sig = sigOf(valid.bytes)
    const inputs: Bytes[] = []
    // signature bits
    for (const [at, bit] of [[0, 0], [5, 3], [31, 7], [32, 1], [63, 6]] as const) inputs.push(wrap(body, flipBit(sig, at, bit)))
    // body bits inside the proposal hash and the metadata text: still canonical, still schema-valid
    const hashAt = indexOf(body, open.id)
    const textAt = indexOf(body, te.encode('because'))
    for (const at of [hashAt, hashAt + 7, hashAt + 31, textAt, textAt + 3]) inputs.push(wrap(flipBit(body, at, 0), sig))
    // the voter's key swapped: the body names another member, the signature stays the adversary's
    for (const other of HONEST) inputs.push(wrap(encodeCanonical(voteBody(open, h.ids[other]!, 'against', { metadata: { why: 'because' } })), sig))
    expect(inputs).toHaveLength(14)
    const n = await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'bad-signature' })
    expect(n).toBe(14 * HONEST.length)
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])

    for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('approved')
    expect(result.voters).toEqual([0, 1, 2].map(i => h.ids[i]!.peerId).sort())
    expect(result.votesAgainst).toBe(0)
    await expectCertificate(result)
    expectAgreement(h, open.key, [...HONEST, ADV])
    expect(h.evidence.flat()).toEqual([])
  })

  it('non-member voters: validly signed votes from outside the electorate → reject non-member, never counted', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'outsiders' })
    const strangers = await outsiders(6)
    const inputs = await Promise.all(strangers.map(async (s, k) => (await sealVote(open, s, k % 2 === 0 ? 'for' : 'against')).bytes))
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'non-member' })
    // re-sent: still rejected (nothing about them was kept)
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'non-member' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])

    // two honest votes for: with the six outsiders' votes for this would be approved; it is not decided yet
    for (const i of [0, 1]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    await h.swarm.clock.advance(100)
    expect(HONEST.some(i => h.swarm.agent(i).decisions.has(open.key))).toBe(false)
    for (const i of [2, 3, ADV]) await h.swarm.agent(i).manager.recordVote(open.key, 'against')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('rejected')
    expect(result.votesFor).toBe(2)
    expect(result.voters).toEqual([...HONEST, ADV].map(i => h.ids[i]!.peerId).sort())
    for (const s of strangers) expect(result.voters).not.toContain(s.peerId)
    const certificate = await expectCertificate(result)
    const certVoters = await Promise.all(certificate.votes.map(async b => ((await openMessage(b)).body as VoteBody).voter))
    for (const s of strangers) expect(certVoters).not.toContain(s.peerId)
  })

  it('signer ≠ voter: the adversary (or an outsider) signs votes naming members → reject bad-signature; the named members\' own votes later count normally', async () => {
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
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'bad-signature' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])

    for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('approved')
    expect(result.votesFor).toBe(3)
    expect(result.votesAgainst).toBe(0)
    // no forged vote became equivocation evidence against the members it named
    expect(h.evidence.flat()).toEqual([])
    expect(result.metadata.excluded).toBe(0)
    await expectCertificate(result)
  })

  it('unknown proposal → ignore unknown-proposal; exact duplicates → ignore duplicate', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'dups' })
    const adv = h.ids[ADV]!
    const unknown = await Promise.all([1, 2, 3, 4, 5].map(async k => (await sealVote(sha256(te.encode(`nowhere ${k}`)), adv, 'for')).bytes))
    unknown.push((await sealMessage(adv, { type: 'ack', v: 1, ns: 'default', proposal: sha256(te.encode('nowhere')), close: sha256(te.encode('c')), signer: adv.peerId })).bytes)
    await expectVerdicts(h, unknown, HONEST, { result: 'ignore', reason: 'unknown-proposal' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])

    const vote = await sealVote(open, adv, 'for')
    expect(await feed(h, vote.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))
    // the same bytes, and equal copies of them, five more times
    const copies = [vote.bytes, new Uint8Array(vote.bytes), new Uint8Array(vote.bytes), vote.bytes, new Uint8Array(vote.bytes)]
    await expectVerdicts(h, copies, HONEST, { result: 'ignore', reason: 'duplicate' })
    expect(voteEventsFor(h, HONEST, open.key, adv.peerId)).toHaveLength(HONEST.length) // once per peer
    expect(h.evidence.flat()).toEqual([])

    for (const i of [0, 1]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('approved')
    expect(result.votesFor).toBe(3)
    expect(result.voters).toContain(adv.peerId)
  })
})

describe('replay', () => {
  it('across proposals: a vote re-sent as is is a duplicate; its signature on another proposal\'s body → bad-signature', async () => {
    const h = await makeSwarm(5)
    const a = await propose(h, 0, { which: 'A' })
    const b = await propose(h, 1, { which: 'B' })
    const adv = h.ids[ADV]!
    const voteA = await sealVote(a, adv, 'for')
    expect(await feed(h, voteA.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))
    await expectVerdicts(h, [voteA.bytes, voteA.bytes, voteA.bytes, voteA.bytes, voteA.bytes], HONEST, { result: 'ignore', reason: 'duplicate' })

    // signatures made for A (the adversary's, and members' never sent) attached to the same body for B
    const forA = [voteA, ...await Promise.all([0, 1, 2, 3].map(async i => sealVote(a, h.ids[i]!, 'for')))]
    const moved = forA.map(v => wrap(encodeCanonical({ ...v.body, proposal: b.id }), sigOf(v.bytes)))
    await expectVerdicts(h, moved, HONEST, { result: 'reject', reason: 'bad-signature' })
    expect(voteEventsFor(h, HONEST, b.key)).toEqual([])

    // B: three members against → rejected, without the adversary
    for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(b.key, 'against')
    const resultB = await finish(h, b, HONEST)
    expect(resultB.decision).toBe('rejected')
    expect(resultB.voters).not.toContain(adv.peerId)
    expect(resultB.votesFor).toBe(0)
    await expectCertificate(resultB)
    // A: the adversary's real vote counts, once
    for (const i of [0, 1]) await h.swarm.agent(i).manager.recordVote(a.key, 'for')
    const resultA = await finish(h, a, HONEST)
    expect(resultA.decision).toBe('approved')
    expect(resultA.voters).toEqual([0, 1, ADV].map(i => h.ids[i]!.peerId).sort())
    await expectCertificate(resultA)
  })

  it('across namespaces: validly signed messages of namespace "other" → reject wrong-namespace; their signature on a "default" body → bad-signature', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'namespaces' })
    const adv = h.ids[ADV]!
    const other = { ns: 'other' }
    const votes = await Promise.all([ADV, 1, 2, 3].map(async i => sealVote(open, h.ids[i]!, 'for', other)))
    const inputs: Bytes[] = [
      ...votes.map(v => v.bytes),
      (await sealMessage(adv, { type: 'ack', v: 1, ns: 'other', proposal: open.id, close: sha256(te.encode('c')), signer: adv.peerId })).bytes,
      (await sealMessage(h.ids[0]!, { ...closeBody(h, open, 0), ns: 'other' })).bytes,
      (await sealMessage(adv, { ...open.body, ns: 'other', coordinator: adv.peerId, closers: [adv.peerId] })).bytes,
      encodeCanonical([encodeCanonical({ type: 'want', v: 1, ns: 'other', proposal: open.id, ids: [] })])
    ]
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'wrong-namespace' })
    const moved = votes.map(v => wrap(encodeCanonical({ ...v.body, ns: 'default' }), sigOf(v.bytes)))
    await expectVerdicts(h, moved, HONEST, { result: 'reject', reason: 'bad-signature' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])

    for (const i of [0, 1]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    for (const i of [2, 3]) await h.swarm.agent(i).manager.recordVote(open.key, 'against')
    await h.swarm.clock.advance(100)
    // 2 for of 5: the "other" votes of the adversary and members 2, 3 would have approved it
    expect(HONEST.some(i => h.swarm.agent(i).decisions.has(open.key))).toBe(false)
    await h.swarm.agent(ADV).manager.recordVote(open.key, 'against')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('rejected')
    expect(result.votesFor).toBe(2)
    await expectCertificate(result)
  })

  it('across message types: the adversary\'s ack, close or proposal signature on its vote body, or its vote body signed in another domain → bad-signature', async () => {
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
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'bad-signature' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])
    // the same body signed in the vote domain is fine
    expect(await feed(h, wrap(voteBytes, await signBody(adv, 'vote', voteBytes)), [1])).toEqual([{ result: 'accept', reason: 'counted' }])
  })
})

describe('weight, size and encoding', () => {
  it('self-declared weight: a vote with an extra weight field → reject malformed', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'weight' })
    const adv = h.ids[ADV]!
    const inputs: Bytes[] = []
    for (const weight of [100, 0, 2 ** 32, '1000', [1000]]) {
      const bodyBytes = encodeCanonical({ ...voteBody(open, adv, 'for'), weight })
      inputs.push(wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)))
    }
    await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason: 'malformed' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])
  })

  it('a weighted proposal is decided with the weights it pins, whatever the voter claims and whatever other peers configured', async () => {
    const ids = await Promise.all([0, 1, 2, 3, 4].map(simulatedIdentity))
    const h = await makeSwarm(5)
    // the coordinator pins 3, 3, 1, 1, 1; every other peer's local config would give the adversary 1000
    h.swarm.agent(0).manager.registerAlgorithm('expert', weighted({ threshold: 0.6, agentWeights: { [ids[0]!.peerId]: 3, [ids[1]!.peerId]: 3 } }))
    for (const i of [1, 2, 3, 4]) h.swarm.agent(i).manager.registerAlgorithm('expert', weighted({ threshold: 0.1, agentWeights: { [ids[ADV]!.peerId]: 1000 } }))
    const open = await propose(h, 0, { action: 'weighted' }, { algorithm: 'expert' })
    expect(Object.fromEntries(open.body.electorate)).toEqual({ [ids[0]!.peerId]: 3, [ids[1]!.peerId]: 3, [ids[2]!.peerId]: 1, [ids[3]!.peerId]: 1, [ids[4]!.peerId]: 1 })
    const adv = h.ids[ADV]!
    // extra weight fields are malformed; weight inside the free-form metadata is just metadata
    const extra: Bytes[] = []
    for (const weight of [1000, 9, 5]) {
      const bodyBytes = encodeCanonical({ ...voteBody(open, adv, 'for'), weight })
      extra.push(wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes)))
    }
    await expectVerdicts(h, extra, HONEST, { result: 'reject', reason: 'malformed' })
    const claim = await sealVote(open, adv, 'for', { metadata: { weight: 1000, expert: true } })
    expect(await feed(h, claim.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))

    for (const i of [2, 3]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    await h.swarm.agent(1).manager.recordVote(open.key, 'against')
    await h.swarm.clock.advance(10)
    await h.swarm.agent(0).manager.recordVote(open.key, 'against')
    const result = await finish(h, open, [...HONEST, ADV])
    // for: 1 + 1 + 1 = 3 of 9 (not 1002 of 1008)
    expect(result.decision).toBe('rejected')
    expect(result.votesFor).toBe(3)
    expect(result.metadata.weightedApproval).toBeCloseTo(3 / 9)
    const certificate = await expectCertificate(result)
    const verified = await verifyCertificate(certificate)
    expect(verified.totalWeight).toBe(9)
    const close = await openMessage(certificate.close)
    expect((close.body as CloseBody).tally).toEqual([3, 2, 0, 3, 6, 0])
    expectAgreement(h, open.key, [...HONEST, ADV])
  })

  it('oversize by one byte → reject oversize; exactly at the limit passes the size check', async () => {
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
    const over = await Promise.all([adv, ...strangers].map(async who => ofSize(who, limit + 1)))
    await expectVerdicts(h, over, HONEST, { result: 'reject', reason: 'oversize' })
    // at the limit: the outsiders' votes pass the size check and fail membership instead
    const at = await Promise.all(strangers.map(async who => ofSize(who, limit)))
    await expectVerdicts(h, at, HONEST, { result: 'reject', reason: 'non-member' })
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])
    // and the member's vote of exactly the limit is counted
    expect(await feed(h, await ofSize(adv, limit), HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))

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
    expect(await feed(h, await proposalOfSize(512 * 1024), [1])).toEqual([{ result: 'reject', reason: 'wrong-namespace' }])
    expect(await feed(h, await proposalOfSize(512 * 1024 + 1), [1])).toEqual([{ result: 'reject', reason: 'oversize' }])

    for (const i of [0, 1]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)
    expect(result.voters).toEqual([0, 1, ADV].map(i => h.ids[i]!.peerId).sort())
    for (const s of strangers) expect(result.voters).not.toContain(s.peerId)
  })

  it('non-canonical CBOR (body and envelope, correctly signed) → reject non-canonical or malformed as the codec says', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'cbor' })
    const adv = h.ids[ADV]!
    const e = entriesOf(voteBody(open, adv, 'for'))
    const f16one = new Uint8Array([0xf9, 0x3c, 0x00])
    const f64 = (x: number): Bytes => { const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, x); return b }
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
    let n = 0
    for (const [name, bodyBytes, reason] of bodies) {
      const envelope = wrap(bodyBytes, await signBody(adv, 'vote', bodyBytes))
      n += await expectVerdicts(h, [envelope], HONEST, { result: 'reject', reason }, name)
    }
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
    for (const [name, bytes, reason] of envelopes) n += await expectVerdicts(h, [bytes], HONEST, { result: 'reject', reason }, name)
    expect(n).toBe((bodies.length + envelopes.length) * HONEST.length)
    expect(voteEventsFor(h, HONEST, open.key)).toEqual([])
    // the canonical original is accepted
    expect(await feed(h, valid.bytes, [2])).toEqual([{ result: 'accept', reason: 'counted' }])
  })
})

// ---------------------------------------------------------------------------------------------
// equivocation
// ---------------------------------------------------------------------------------------------

describe('equivocation', () => {
  it('a second, different validly signed vote → accept with equivocation evidence, every time; the voter is excluded everywhere', async () => {
    // 6 honest members and 5 equivocators: approval needs 6 of 11 for
    const honest = [0, 1, 2, 3, 4, 5]
    const cheats = [6, 7, 8, 9, 10]
    const h = await makeSwarm(11)
    const open = await propose(h, 0, { action: 'equivocate' })
    const pairs: Array<[OpenedVote, OpenedVote]> = []
    for (const c of cheats) {
      const first = await sealVote(open, h.ids[c]!, 'for')
      const second = await sealVote(open, h.ids[c]!, 'against', { metadata: { changed: 'mind' } })
      pairs.push([first, second])
      expect(await feed(h, first.bytes, honest)).toEqual(honest.map(() => ({ result: 'accept', reason: 'counted' })))
      expect(await feed(h, second.bytes, honest)).toEqual(honest.map(() => ({ result: 'accept', reason: 'equivocation' })))
      for (const i of honest) {
        const last = h.evidence[i]?.at(-1)
        expect(last?.kind).toBe('equivocation')
        expect(last?.offender).toBe(h.ids[c]!.peerId)
        expect(last?.proposalId).toBe(open.key)
        expect(last?.messages.map(m => idToString(m)).sort()).toEqual([first.bytes, second.bytes].map(m => idToString(m)).sort())
      }
    }
    for (const i of honest) expect(h.evidence[i]).toHaveLength(cheats.length)
    // a third vote and re-sends: no new evidence, ignored as duplicates
    const third = await Promise.all(cheats.map(async c => (await sealVote(open, h.ids[c]!, 'abstain')).bytes))
    await expectVerdicts(h, [...third, ...pairs.map(p => p[1].bytes)], honest, { result: 'ignore', reason: 'duplicate' })
    for (const i of honest) expect(h.evidence[i]).toHaveLength(cheats.length)

    for (const i of honest) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, honest)
    expect(result.decision).toBe('approved')
    expect(result.votesFor).toBe(6)
    expect(result.votesAgainst).toBe(0)
    expect(result.voters).toEqual(honest.map(i => h.ids[i]!.peerId).sort())
    expect(result.metadata.excluded).toBe(cheats.length)
    const certificate = await expectCertificate(result)
    const close = (await openMessage(certificate.close)).body as CloseBody
    const expected = pairs.map(([a, b]) => sortIds(a.id, b.id).map(idToString)).sort((x, y) => x[0]! < y[0]! ? -1 : 1)
    expect(close.excluded.map(pair => pair.map(idToString))).toEqual(expected)
    for (const c of cheats) expect(result.voters).not.toContain(h.ids[c]!.peerId)
    // every peer, cheats included, holds the same decision
    const agreed = expectAgreement(h, open.key, [...honest, ...cheats])
    expect(agreed.voters).toEqual(result.voters)
  })
})

// ---------------------------------------------------------------------------------------------
// closes
// ---------------------------------------------------------------------------------------------

describe('forged closes', () => {
  it('non-closer, before-slot, early-timeout, wrong tally, wrong decision, double vote and bad evidence → reject, never adopted', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'closes' })
    const { deadline, step, createdAt } = open.body
    const r0 = open.closer(0)
    const r1 = open.closer(1)
    const r2 = open.closer(2)
    expect(r0).toBe(0)
    expect(new Set([r0, r1, r2]).size).toBe(3)
    // held by every honest peer: member 3 against; the adversary's equivocating pair
    const v3 = await sealVote(open, h.ids[3]!, 'against')
    const v4a = await sealVote(open, h.ids[ADV]!, 'for')
    const v4b = await sealVote(open, h.ids[ADV]!, 'against')
    await feed(h, v3.bytes, HONEST)
    await feed(h, v4a.bytes, HONEST)
    expect(await feed(h, v4b.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'equivocation' })))
    const sentBefore = h.sent.length
    const slot1 = deadline + step
    const slot2 = deadline + 2 * step
    const empty = { decision: 'timeout' as const, votes: [], tally: [0, 0, 0, 0, 0, 0] as CloseBody['tally'] }
    const excludedPair = [sortIds(v4a.id, v4b.id) as [Bytes, Bytes]]

    const classes: Array<[string, Bytes[]]> = [
      ['not-closer', [
        ...await Promise.all([1, 2, 3, 4].map(async i => sealClose(h, open, i, { rank: 0, closedAt: deadline, ...empty }))),
        ...await Promise.all([0, 1, 2, 3, 4].filter(i => i !== r1).map(async i => sealClose(h, open, i, { rank: 1, closedAt: slot1, ...empty }))),
        await sealClose(h, open, r1, { rank: 2, closedAt: slot2, ...empty }),
        await sealClose(h, open, 0, { rank: 7, closedAt: deadline + 7 * step, ...empty })
      ]],
      ['before-slot', [
        await sealClose(h, open, r1, { rank: 1, closedAt: createdAt, ...empty }),
        await sealClose(h, open, r1, { rank: 1, closedAt: deadline - 1, ...empty }),
        await sealClose(h, open, r1, { rank: 1, closedAt: deadline, ...empty }),
        await sealClose(h, open, r1, { rank: 1, closedAt: slot1 - 1, ...empty }),
        await sealClose(h, open, r2, { rank: 2, closedAt: slot1, ...empty }),
        await sealClose(h, open, r2, { rank: 2, closedAt: slot2 - 1, ...empty })
      ]],
      ['early-timeout', await Promise.all([createdAt, createdAt + 1, createdAt + 5, deadline - 1000, deadline - 1].map(async closedAt =>
        sealClose(h, open, 0, { rank: 0, closedAt, ...empty })))],
      ['wrong-tally', [
        ...await Promise.all([0, 1, 2, 3, 4, 5].map(async k => {
          const tally: CloseBody['tally'] = [0, 1, 0, 0, 1, 0]
          tally[k] = (tally[k] as number) + 1
          return sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [v3.id], tally })
        })),
        await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [], tally: [0, 1, 0, 0, 1, 0] })
      ]],
      ['wrong-decision', [
        await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'approved', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
        await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
        await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'approved', votes: [], tally: [0, 0, 0, 0, 0, 0] }),
        await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'rejected', votes: [v3.id], tally: [0, 1, 0, 0, 1, 0] }),
        await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0] }),
        await sealClose(h, open, 0, { rank: 0, closedAt: createdAt + 20, decision: 'approved', votes: [v4a.id], tally: [1, 0, 0, 1, 0, 0], excluded: [] })
      ]],
      ['double-vote', [
        await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v4a.id, v4b.id), tally: [1, 1, 0, 1, 1, 0] }),
        await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: sortIds(v3.id, v4a.id, v4b.id), tally: [1, 2, 0, 1, 2, 0] }),
        await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [v4a.id], excluded: excludedPair, tally: [1, 0, 0, 1, 0, 0] }),
        await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [v4b.id], excluded: excludedPair, tally: [0, 1, 0, 0, 1, 0] }),
        await sealClose(h, open, r2, { rank: 2, closedAt: slot2, decision: 'timeout', votes: sortIds(v3.id, v4b.id), excluded: excludedPair, tally: [0, 2, 0, 0, 2, 0] })
      ]],
      ['bad-evidence', [
        await sealClose(h, open, 0, { rank: 0, closedAt: deadline, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4a.id) as [Bytes, Bytes]] }),
        await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: [], excluded: [sortIds(v3.id, v4b.id) as [Bytes, Bytes]] })
      ]]
    ]
    for (const [reason, inputs] of classes) {
      if (reason !== 'bad-evidence') expect(inputs.length, reason).toBeGreaterThanOrEqual(5)
      await expectVerdicts(h, inputs, HONEST, { result: 'reject', reason }, reason)
    }
    // nothing was adopted: no peer acknowledged a close or decided
    const acks = await Promise.all(h.sent.slice(sentBefore).map(async s => (await openMessage(s.bytes)).body.type))
    expect(acks.filter(t => t === 'ack' || t === 'close')).toEqual([])
    expect(HONEST.some(i => h.swarm.agent(i).decisions.has(open.key))).toBe(false)

    for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, HONEST)
    expect(result.decision).toBe('approved')
    expect(result.metadata.closer).toBe(h.ids[0]!.peerId)
    expect(result.metadata.closerRank).toBe(0)
    expect(result.voters).toEqual(HONEST.map(i => h.ids[i]!.peerId).sort())
    expect([result.votesFor, result.votesAgainst]).toEqual([3, 1])
    const certificate = await expectCertificate(result)
    const close = (await openMessage(certificate.close)).body as CloseBody
    expect(close.excluded.map(p => p.map(idToString))).toEqual(excludedPair.map(p => p.map(idToString)))
    expectAgreement(h, open.key, [...HONEST, ADV])
  })

  /** Closes by the coordinator (rank 0, at the deadline) that count a non-member's vote or another proposal's vote. */
  async function citingForeignVotes (h: Harness, a: Open, b: Open): Promise<{ nonMember: Bytes[], otherProposal: Bytes[] }> {
    const strangers = await outsiders(3)
    const nonMember: Bytes[] = []
    for (const s of strangers) {
      const v = await sealVote(a, s, 'for')
      expect(await feed(h, v.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'reject', reason: 'non-member' })))
      nonMember.push(await sealClose(h, a, 0, { rank: 0, closedAt: a.body.deadline, decision: 'timeout', votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
      nonMember.push(await sealClose(h, a, 0, { rank: 0, closedAt: a.body.deadline, decision: 'approved', votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
    }
    const otherProposal: Bytes[] = []
    // two votes for B (not enough to decide it), each cited by two closes of A
    for (const i of [2, ADV]) {
      const v = await sealVote(b, h.ids[i]!, 'for')
      expect(await feed(h, v.bytes, HONEST)).toEqual(HONEST.map(() => ({ result: 'accept', reason: 'counted' })))
      otherProposal.push(await sealClose(h, a, 0, { rank: 0, closedAt: a.body.deadline, decision: 'timeout', votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
      otherProposal.push(await sealClose(h, a, 0, { rank: 0, closedAt: a.body.deadline, decision: 'approved', votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
    }
    return { nonMember, otherProposal }
  }

  it('a close counting a non-member\'s vote or a vote of another proposal is never adopted by a live peer', async () => {
    const h = await makeSwarm(5)
    const a = await propose(h, 0, { which: 'A' })
    const b = await propose(h, 1, { which: 'B' })
    const { nonMember, otherProposal } = await citingForeignVotes(h, a, b)
    const sentBefore = h.sent.length
    for (const bytes of [...nonMember, ...otherProposal]) {
      for (const v of await feed(h, bytes, HONEST)) expect(v.result).not.toBe('accept')
      // and re-sent: never accepted either
      for (const v of await feed(h, bytes, HONEST)) expect(v.result).not.toBe('accept')
    }
    const types = await Promise.all(h.sent.slice(sentBefore).filter(s => s.from !== MALLORY).map(async s => (await openMessage(s.bytes)).body.type))
    expect(types.filter(t => t === 'ack' || t === 'close')).toEqual([])
    expect(HONEST.some(i => h.swarm.agent(i).decisions.has(a.key))).toBe(false)
  })

  // A live peer never holds a non-member's vote (it rejected it) nor another proposal's vote in this
  // round, so a close citing one stays pending (ignore 'missing-votes', never adopted; see the test
  // above); the 'non-member' and 'wrong-proposal' verdicts come from checkClose / verifyCertificate.
  it('checkClose itself: a close counting a non-member\'s vote → non-member; counting a vote of another proposal → wrong-proposal', async () => {
    const h = await makeSwarm(5)
    const a = await propose(h, 0, { which: 'A' })
    const b = await propose(h, 1, { which: 'B' })
    const lookup = (kind: string): ReturnType<typeof defaultAlgorithms>[string] | undefined => Object.values(defaultAlgorithms()).find(x => x.kind === kind)
    const ctx = checkProposal(a.opened, lookup)
    expect(ctx).toBeDefined()
    const strangers = await outsiders(5)
    const held = new Map<string, OpenedVote>()
    const keep = (v: OpenedVote): OpenedVote => { held.set(v.key, v); return v }
    let n = 0
    for (const s of strangers) {
      const v = keep(await sealVote(a, s, 'for'))
      const close = await sealMessage(h.ids[0]!, closeBody(h, a, 0, { closedAt: a.body.deadline, votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
      expect(() => checkClose(ctx!, close, key => held.get(key))).toThrow(expect.objectContaining({ reason: 'non-member' }))
      n++
    }
    for (const i of [1, 2, 3, 4, 0]) {
      const v = keep(await sealVote(b, h.ids[i]!, 'for'))
      const close = await sealMessage(h.ids[0]!, closeBody(h, a, 0, { closedAt: a.body.deadline, votes: [v.id], tally: [1, 0, 0, 1, 0, 0] }))
      expect(() => checkClose(ctx!, close, key => held.get(key))).toThrow(expect.objectContaining({ reason: 'wrong-proposal' }))
      n++
    }
    expect(n).toBe(10)
  })

  it('a certificate carrying a non-member\'s or another proposal\'s vote, or a forged close, does not verify', async () => {
    const h = await makeSwarm(5)
    const a = await propose(h, 0, { which: 'A' })
    const b = await propose(h, 1, { which: 'B' })
    for (const i of [0, 1, 2]) await h.swarm.agent(i).manager.recordVote(a.key, 'for')
    const result = await finish(h, a, HONEST)
    const certificate = await expectCertificate(result)
    const [stranger] = await outsiders(1)
    const reasonOf = async (c: Certificate): Promise<string> => {
      try {
        await verifyCertificate(c)
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidMessageError)
        return (err as InvalidMessageError).reason
      }
      return 'verified'
    }
    expect(await reasonOf({ ...certificate, votes: [...certificate.votes, (await sealVote(a, stranger!, 'for')).bytes] })).toBe('non-member')
    expect(await reasonOf({ ...certificate, votes: [...certificate.votes, (await sealVote(b, h.ids[3]!, 'for')).bytes] })).toBe('wrong-proposal')
    const votes = await Promise.all(certificate.votes.map(async v => openMessage(v)))
    const forged = await sealClose(h, a, 0, { rank: 0, closedAt: a.body.createdAt + 5, decision: 'approved', votes: sortIds(...votes.map(v => v.id)), tally: [3, 0, 0, 3, 0, 1] })
    expect(await reasonOf({ ...certificate, close: forged })).toBe('wrong-tally')
  })
})

// ---------------------------------------------------------------------------------------------
// known weaknesses: closedAt is the closer's own claim; pending closes are never dropped
// ---------------------------------------------------------------------------------------------

describe('closes that are early by the receiver\'s clock', () => {
  // A close whose signed closedAt claims its slot has come, arriving long before that slot by the
  // receiver's clock, is held (ignore 'early-close': clocks can be wrong, so it is not provably bad)
  // and looked at again only when its time has come; meanwhile the honest path decides.
  it('a fallback closer that forward-dates closedAt is held, and the honest votes decide', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'preempt' })
    const r1 = open.closer(1)
    const others = [0, 1, 2, 3, 4].filter(i => i !== r1)
    const close = await sealClose(h, open, r1, { rank: 1, closedAt: open.body.deadline + open.body.step, decision: 'timeout' })
    const verdicts = await feed(h, close, others)
    for (const v of verdicts) expect(v).toEqual({ result: 'ignore', reason: 'early-close' })
    for (const i of HONEST) await h.swarm.agent(i).manager.recordVote(open.key, 'for')
    const result = await finish(h, open, others)
    expect(result.decision).toBe('approved')
  })

  it('a coordinator that declares timeout dated at the deadline right after proposing is held, not adopted', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'early' })
    const close = await sealClose(h, open, 0, { rank: 0, closedAt: open.body.deadline, decision: 'timeout' })
    for (const v of await feed(h, close, [1, 2, 3, 4])) expect(v).toEqual({ result: 'ignore', reason: 'early-close' })
    await h.swarm.clock.advance(open.body.step)
    for (const i of [1, 2, 3, 4]) expect(h.swarm.agent(i).decisions.has(open.key)).toBe(false)
  })

  // A close that cites a vote nobody holds stays pending; it holds a fallback back for one step at most,
  // and never the coordinator: the honest votes still decide.
  it('a pending close citing a vote nobody holds does not stop the coordinator from closing', async () => {
    const h = await makeSwarm(5)
    const open = await propose(h, 0, { action: 'stall' })
    const r1 = open.closer(1)
    await h.swarm.clock.runUntil(open.body.deadline + open.body.step)
    const close = await sealClose(h, open, r1, {
      rank: 1, closedAt: open.body.deadline + open.body.step, decision: 'timeout', votes: [sha256(te.encode('no such vote'))], tally: [1, 0, 0, 1, 0, 0]
    })
    expect(await feed(h, close, HONEST)).toEqual(HONEST.map(() => ({ result: 'ignore', reason: 'missing-votes' })))
    const result = await finish(h, open, [])
    expect(result.decision).not.toBe(undefined)
    for (const i of HONEST) expect(h.swarm.agent(i).decisions.get(open.key)?.certificate?.id).not.toBe(idToString(sha256(close)))
  })
})

describe('a close found invalid once its votes arrive', () => {
  // BUG (src/core/round.ts addClose + src/core/manager.ts retryPendingCloses/onVote): a close parked in
  // pendingCloses (it cited votes the peer lacked) is re-checked on every later vote; once its votes are
  // in and checkClose throws (here 'double-vote'), addClose never removes it from pendingCloses and the
  // exception escapes retryPendingCloses. So every later *valid* vote on that peer — the equivocation
  // evidence itself, then honest members' votes — gets verdict reject 'double-vote' (its sender would
  // be penalised), onVote stops before the coordinator's close check, and since the bad close stays
  // pending forever, tryClose (`round.pendingCloses.size > 0`) never closes: the proposal never decides.
  // No forward-dating needed: the coordinator is down and the first fallback closer is the adversary,
  // closing at its real slot.
  it('the invalid close is dropped and later valid votes are still accepted', async () => {
    const h = await makeSwarm(7)
    const open = await propose(h, 0, { action: 'poison' })
    const r1 = open.closer(1)
    const live = [1, 2, 3, 4, 5, 6].filter(i => i !== r1)
    await h.swarm.crash(0)
    await h.swarm.crash(r1) // the adversary holds r1's key; its own manager is out of the way
    const adv = h.ids[r1]!
    const va = await sealVote(open, adv, 'for')
    const vb = await sealVote(open, adv, 'against')
    const slot1 = open.body.deadline + open.body.step
    await h.swarm.clock.runUntil(slot1)
    const close = await sealClose(h, open, r1, { rank: 1, closedAt: slot1, decision: 'timeout', votes: sortIds(va.id, vb.id), tally: [1, 1, 0, 1, 1, 0] })
    expect(await feed(h, close, live, adv.peerId)).toEqual(live.map(() => ({ result: 'ignore', reason: 'missing-votes' })))
    expect(await feed(h, va.bytes, live, adv.peerId)).toEqual(live.map(() => ({ result: 'accept', reason: 'counted' })))
    // the second vote is valid equivocation evidence; it makes the pending close checkable (and invalid)
    expect(await feed(h, vb.bytes, live, adv.peerId)).toEqual(live.map(() => ({ result: 'accept', reason: 'equivocation' })))
    // an honest member's vote afterwards
    const honest = await sealVote(open, h.ids[live[0]!]!, 'for')
    expect(await feed(h, honest.bytes, live.slice(1), h.ids[live[0]!]!.peerId)).toEqual(live.slice(1).map(() => ({ result: 'accept', reason: 'counted' })))
    await runUntil(h, () => live.every(i => h.swarm.agent(i).decisions.has(open.key)), 20 * open.body.step)
    for (const i of live) expect(h.swarm.agent(i).decisions.has(open.key)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// a flooding member
// ---------------------------------------------------------------------------------------------

/** Everything member `adv` can craft with its own key and outsiders' keys, for an open proposal. */
async function floodFor (h: Harness, open: Open, adv: number): Promise<{ toAll: Bytes[], split: [Bytes, Bytes] }> {
  const me = h.ids[adv]!
  const strangers = await outsiders(3)
  const out: Bytes[] = []
  const valid = await sealVote(open, me, 'against', { metadata: { note: 'flood' } })
  const body = bodyOf(valid.bytes)
  const sig = sigOf(valid.bytes)
  // forged signatures and bodies
  for (const at of [0, 17, 63]) out.push(wrap(body, flipBit(sig, at, 2)))
  const hashAt = indexOf(body, open.id)
  for (const at of [hashAt, hashAt + 9]) out.push(wrap(flipBit(body, at, 1), sig))
  // signer ≠ voter, for every other member
  for (const [i, id] of h.ids.entries()) {
    if (i === adv) continue
    const b = encodeCanonical(voteBody(open, id, 'against'))
    out.push(wrap(b, await signBody(me, 'vote', b)))
  }
  // outsiders' votes
  for (const s of strangers) out.push((await sealVote(open, s, 'for')).bytes)
  // another namespace, another message type's signature, another domain
  out.push((await sealVote(open, me, 'for', { ns: 'other' })).bytes)
  const ack = await sealMessage(me, { type: 'ack', v: 1, ns: 'default', proposal: open.id, close: sha256(te.encode('bogus close')), signer: me.peerId })
  out.push(wrap(body, sigOf(ack.bytes)))
  out.push(wrap(body, await signBody(me, 'close', body)))
  // self-declared weight
  const weighty = encodeCanonical({ ...voteBody(open, me, 'for'), weight: 1000 })
  out.push(wrap(weighty, await signBody(me, 'vote', weighty)))
  // oversize
  out.push((await sealVote(open, me, 'for', { metadata: { pad: 'x'.repeat(17_000) } })).bytes)
  // non-canonical
  const e = entriesOf(voteBody(open, me, 'for'))
  for (const b of [cbor.map([...e].reverse()), cbor.map(withValue(e, 'v', new Uint8Array([0xf9, 0x3c, 0x00]))), cat(cbor.map(e), [0])]) out.push(wrap(b, await signBody(me, 'vote', b)))
  out.push(cat(valid.bytes, [0]))
  // closes it may not make (rank 0), and closes of its own fallback rank before the slot, with a wrong
  // tally or decision, or counting its own two votes. (Not: a forward-dated timeout, or a close citing a
  // vote nobody holds — those succeed or stall, see the failing tests on close timing.)
  out.push(await sealClose(h, open, adv, { rank: 0, closedAt: open.body.deadline }))
  const rank = open.body.closers.indexOf(me.peerId)
  expect(rank).toBeGreaterThan(0)
  const slot = open.body.deadline + rank * open.body.step
  const yes = await sealVote(open, me, 'for')
  const no = await sealVote(open, me, 'against', { metadata: { other: 'half' } })
  out.push(await sealClose(h, open, adv, { rank, closedAt: slot - 1 }))
  out.push(await sealClose(h, open, adv, { rank, closedAt: open.body.createdAt }))
  out.push(await sealClose(h, open, adv, { rank, closedAt: slot, tally: [0, 0, 1, 0, 0, 1] }))
  out.push(await sealClose(h, open, adv, { rank, closedAt: slot, decision: 'approved' }))
  // (Not: a close counting its own two votes while peers still lack one of them — parked as pending,
  // then failing on every later vote: see 'a close found invalid once its votes arrive' below.)
  // outsiders' acks, votes for proposals nobody knows, wants
  for (const s of strangers) out.push((await sealMessage(s, { type: 'ack', v: 1, ns: 'default', proposal: open.id, close: sha256(te.encode('x')), signer: s.peerId })).bytes)
  for (const k of [1, 2]) out.push((await sealVote(sha256(te.encode(`phantom ${k}`)), me, 'for')).bytes)
  out.push(encodeCanonical([encodeCanonical({ type: 'want', v: 1, ns: 'default', proposal: open.id, ids: [] })]))
  // and an equivocation, split across peers (each half re-sent later)
  return { toAll: out, split: [yes.bytes, no.bytes] }
}

describe('a flooding member', () => {
  for (const seed of [1, 2, 3]) {
    it(`does not break agreement: every honest agent decides the same, with the same certificate (seed ${seed})`, async () => {
      const h = await makeSwarm(5, { seed, latencyMs: [1, 40], duplicate: 0.1, reorder: 0.2, reorderMs: 30 })
      const open = await propose(h, 0, { action: 'flooded', seed })
      // the flooder is the first fallback closer, so it can also sign closes of its own rank
      const adv = open.closer(1)
      const honest = [0, 1, 2, 3, 4].filter(i => i !== adv)
      const { toAll, split } = await floodFor(h, open, adv)
      const advId = h.ids[adv]!.peerId
      const send = (to: number, bytes: Bytes): void => { h.swarm.network.send(advId, h.ids[to]!.peerId, bytes) }
      // the flood and the honest votes race through the (seeded) network
      for (const bytes of toAll) for (const i of honest) send(i, bytes)
      honest.forEach((i, k) => { send(i, split[k % 2] as Bytes) })
      for (const [k, i] of honest.entries()) await h.swarm.agent(i).manager.recordVote(open.key, k === 3 ? 'against' : 'for')
      for (const bytes of toAll) for (const i of honest) send(i, bytes)
      honest.forEach((i, k) => { send(i, split[(k + 1) % 2] as Bytes) })

      const result = await finish(h, open, honest)
      const agreed = expectAgreement(h, open.key, honest)
      expect(agreed.decision).toBe(result.decision)
      expect(result.decision).toBe('approved')
      const certificate = await expectCertificate(result)
      expect(certificate.id).toBe(agreed.certificate?.id)
      // the tally holds members only (the adversary at most once, with one of its two votes) and
      // enough honest 'for' votes: the coordinator closes as soon as three are in
      const members = h.ids.map(id => id.peerId)
      for (const v of result.voters) expect(members).toContain(v)
      expect(new Set(result.voters).size).toBe(result.voters.length)
      expect(result.votesFor).toBeGreaterThanOrEqual(3)
      const certVoters = await Promise.all(certificate.votes.map(async b => ((await openMessage(b)).body as VoteBody).voter))
      for (const v of certVoters) expect(members).toContain(v)
      expect(h.swarm.network.counters.rejected).toBeGreaterThan(toAll.length)
      await h.swarm.clock.advance(60_000)
      expectAgreement(h, open.key, honest)
    })
  }
})
