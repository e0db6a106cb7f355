/** Corpus scenarios on replay: unknown proposals and duplicates, signatures moved across proposals, namespaces and message types. */
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeCanonical } from '../../../src/wire/codec.js'
import { sealMessage, type OpenedVote } from '../../../src/wire/envelope.js'
import { signBody } from '../../../src/wire/identity.js'
import { PROTOCOL_VERSION } from '../../../src/wire/messages.js'
import { te, type Bytes } from '../cbor.js'
import { ADV, HONEST, ackBody, bodyOf, closeBody, makeSwarm, propose, sealAck, sealVote, sigOf, voteBody, wrap, type Open } from './harness.js'
import { accept, honestApproval, ignore, reject, type Scenario } from './scenario.js'

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
    encodeCanonical([encodeCanonical({ type: 'want', v: PROTOCOL_VERSION, ns: 'other', proposal: open.id, ids: [] })])
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
  const ack = await sealMessage(adv, ackBody(adv, open.id, sha256(te.encode('c'))))
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
      description: 'The adversary\'s vote body carrying its signature of an ack, a close or a proposal (3), ' +
        'signed in the ack/close/proposal/want domains (4) or with no domain (1); an ack body signed in the vote domain (1).',
      inputs,
      labels: [
        'ack signature', 'close signature', 'proposal signature', 'ack domain', 'close domain', 'proposal domain', 'want domain',
        'raw key signature', 'ack body, vote domain'
      ],
      expected: reject('bad-signature'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}
