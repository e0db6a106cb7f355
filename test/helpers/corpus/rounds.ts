/**
 * Corpus scenario on protocol v2's own fields: messages of another protocol version, rounds and
 * phases the schema refuses, acks of rounds far ahead, and a member that signs two different acks of
 * one round and phase.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeCanonical } from '../../../src/wire/codec.js'
import { signBody, type Identity } from '../../../src/wire/identity.js'
import { AckPhase, MAX_ROUND } from '../../../src/wire/messages.js'
import { te, type Bytes } from '../cbor.js'
import { ADV, HONEST, ackBody, closeBody, makeSwarm, propose, sealAck, sealClose, voteBody, wrap, type Harness, type Open } from './harness.js'
import { accept, honestApproval, ignore, reject, type Scenario } from './scenario.js'

/** Bytes of a signed envelope around any body, schema-valid or not (the signature is real). */
async function signed (who: Identity, type: string, body: object): Promise<Bytes> {
  const bytes = encodeCanonical(body as any)
  return wrap(bytes, await signBody(who, type, bytes))
}

/** What a v1 peer signs for `open`: its vote, close, ack, proposal, want and presence, in the v1 shapes. */
async function v1Messages (h: Harness, open: Open): Promise<Array<[string, Bytes]>> {
  const adv = h.ids[ADV]!
  const coordinator = h.ids[0]!
  const { deadline } = open.body
  const v1close = {
    type: 'close',
    v: 1,
    ns: 'default',
    proposal: open.id,
    closer: coordinator.peerId,
    rank: 0,
    closedAt: deadline,
    decision: 'timeout',
    votes: [],
    excluded: [],
    tally: [0, 0, 0, 0, 0, 0]
  }
  return [
    ['v1 vote', await signed(adv, 'vote', { ...voteBody(open, adv, 'for'), v: 1 })],
    ['v1 close (rank)', await signed(coordinator, 'close', v1close)],
    ['v1 ack (close id)', await signed(adv, 'ack', { type: 'ack', v: 1, ns: 'default', proposal: open.id, close: sha256(te.encode('c')), signer: adv.peerId })],
    ['v1 proposal', await signed(adv, 'proposal', { ...open.body, v: 1, coordinator: adv.peerId, closers: [adv.peerId] })],
    ['v1 want', encodeCanonical([encodeCanonical({ type: 'want', v: 1, ns: 'default', proposal: open.id, ids: [] })])],
    ['v1 presence', await signed(adv, 'presence', { type: 'presence', v: 1, ns: 'default', peer: adv.peerId, at: open.body.createdAt, voter: true })],
    ['v3 vote', await signed(adv, 'vote', { ...voteBody(open, adv, 'for'), v: 3 })],
    ['v3 ack', await signed(adv, 'ack', { ...ackBody(adv, open.id, null), v: 3 })]
  ]
}

/**
 * Five members; the adversary holds member 4's key (its manager runs honestly). It sends v1 and v3
 * messages, acks and closes with rounds or phases the schema refuses, acks of rounds far ahead, and
 * two different acks for round-0 and round-1 slots: the second of each is evidence, and since its
 * counted round-0 prevote and precommit are for an outcome nobody proposed, the honest decision
 * needs the slow path (precommits of more than 2/3 of the weight), not every member's prevote.
 */
export async function roundsScenario (): Promise<Scenario & { open: Open, ours: Bytes, theirs: Bytes }> {
  const h = await makeSwarm(5)
  const open = await propose(h, 0, { action: 'rounds' })
  const adv = h.ids[ADV]!
  const r1 = open.closer(1)
  const versions = await v1Messages(h, open)
  const ours = sha256(te.encode('outcome A'))
  const theirs = sha256(te.encode('outcome B'))
  const { Prevote, Precommit } = AckPhase
  const malformed: Array<[string, Bytes]> = [
    ['ack phase "commit"', await signed(adv, 'ack', { ...ackBody(adv, open.id, ours), phase: 'commit' })],
    ['ack phase "Prevote"', await signed(adv, 'ack', { ...ackBody(adv, open.id, ours), phase: 'Prevote' })],
    ['precommit of nil', await signed(adv, 'ack', ackBody(adv, open.id, null, { phase: Precommit }))],
    ['ack value of 31 bytes', await signed(adv, 'ack', ackBody(adv, open.id, ours.slice(0, 31)))],
    [`ack of round ${MAX_ROUND + 1}`, await signed(adv, 'ack', ackBody(adv, open.id, ours, { round: MAX_ROUND + 1 }))],
    ['ack of round −1', await signed(adv, 'ack', ackBody(adv, open.id, ours, { round: -1 }))],
    ['ack of round 0.5', await signed(adv, 'ack', { ...ackBody(adv, open.id, ours), round: 0.5 })],
    [`close of round ${MAX_ROUND + 1}`, await signed(h.ids[0]!, 'close', closeBody(h, open, 0, { round: MAX_ROUND + 1, closedAt: open.body.deadline }))],
    ['close with validRound = round', await signed(h.ids[r1]!, 'close', closeBody(h, open, r1, { round: 1, validRound: 1, closedAt: open.roundStart(1) }))],
    ['close with validRound > round', await signed(h.ids[0]!, 'close', closeBody(h, open, 0, { round: 0, validRound: 3, closedAt: open.body.deadline }))],
    ['close with validRound −2', await signed(h.ids[r1]!, 'close', closeBody(h, open, r1, { round: 1, validRound: -2, closedAt: open.roundStart(1) }))],
    ['vote of version 0', await signed(adv, 'vote', { ...voteBody(open, adv, 'for'), v: 0 })]
  ]
  const far = [9, 10, 50, MAX_ROUND]
  const r9 = open.closer(9)
  const future: Array<[string, Bytes]> = [
    ...await Promise.all(far.map(async r => [`prevote of round ${r}`, await sealAck(adv, open.id, ours, { round: r })] as [string, Bytes])),
    ...await Promise.all(far.map(async r => [`precommit of round ${r}`, await sealAck(adv, open.id, ours, { round: r, phase: Precommit })] as [string, Bytes])),
    [`nil prevote of round ${MAX_ROUND}`, await sealAck(adv, open.id, null, { round: MAX_ROUND })],
    ['close of round 9 by its closer, at its start', await sealClose(h, open, r9, { round: 9, closedAt: open.roundStart(9) })]
  ]
  const firsts: Array<[string, Bytes]> = [
    ['round-0 prevote of A', await sealAck(adv, open.id, ours)],
    ['round-0 precommit of A', await sealAck(adv, open.id, ours, { phase: Precommit })],
    ['round-1 prevote of A', await sealAck(adv, open.id, ours, { round: 1 })]
  ]
  const seconds: Array<[string, Bytes]> = [
    ['round-0 prevote of B', await sealAck(adv, open.id, theirs)],
    ['round-0 nil prevote', await sealAck(adv, open.id, null)],
    ['round-0 precommit of B', await sealAck(adv, open.id, theirs, { phase: Precommit })],
    ['round-1 prevote of B', await sealAck(adv, open.id, theirs, { round: 1, phase: Prevote })],
    ['round-1 nil prevote', await sealAck(adv, open.id, null, { round: 1 })]
  ]
  const inputs = (list: Array<[string, Bytes]>): Bytes[] => list.map(x => x[1])
  const labels = (list: Array<[string, Bytes]>): string[] => list.map(x => x[0])
  return {
    name: 'protocol v2 rounds',
    h,
    honest: HONEST,
    open,
    ours,
    theirs,
    classes: [{
      name: 'wrong-version',
      title: 'another protocol version',
      description: 'Correctly signed messages of protocol v1 in the v1 shapes (a vote, a close with `rank`, an ack naming a close, a proposal, ' +
        'a want, a presence) and of a v3: refused as another version, never read as v2.',
      inputs: inputs(versions),
      labels: labels(versions),
      expected: reject('wrong-version'),
      role: 'attack'
    }, {
      name: 'malformed-round',
      title: 'rounds and phases the schema refuses',
      description: `Correctly signed acks with a phase other than prevote/precommit, a nil precommit, a short value, a round above ${MAX_ROUND}, ` +
        'negative or fractional; closes of a round above the maximum or with validRound ≥ round or below −1; a version-0 vote.',
      inputs: inputs(malformed),
      labels: labels(malformed),
      expected: reject('malformed'),
      role: 'attack'
    }, {
      name: 'future-round',
      title: 'rounds far ahead',
      description: `The adversary's prevotes and precommits of rounds 9, 10, 50 and ${MAX_ROUND} (more than 8 ahead of every honest peer's round 0), ` +
        'and a close of round 9 by its closer dated at its start: dropped without penalty, never counted.',
      inputs: inputs(future),
      labels: labels(future),
      expected: ignore('future-round'),
      role: 'attack'
    }, {
      name: 'member-acks',
      title: 'a member\'s first acks',
      description: 'The adversary\'s first prevote and precommit of round 0, and first prevote of round 1, for an outcome nobody proposed: counted.',
      inputs: inputs(firsts),
      labels: labels(firsts),
      expected: accept('ack'),
      role: 'control'
    }, {
      name: 'conflicting-ack',
      title: 'two acks of one round and phase',
      description: 'The adversary\'s second, different prevote and precommit of round 0 and prevote of round 1 (another outcome, or nil): ' +
        'dropped and raised as evidence; its real acks of round 0 later conflict the same way, so round 0 decides by precommits.',
      inputs: inputs(seconds),
      labels: labels(seconds),
      expected: ignore('conflicting-ack'),
      role: 'attack'
    }],
    conclusions: [honestApproval(open)]
  }
}
