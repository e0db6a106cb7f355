/** Corpus scenarios on who signed a vote: forged signatures, non-members, a signer that is not the voter. */
import { encodeCanonical } from '../../../src/wire/codec.js'
import { signBody, type Identity } from '../../../src/wire/identity.js'
import { te, type Bytes } from '../cbor.js'
import { ADV, HONEST, bodyOf, flipBit, indexOf, makeSwarm, outsiders, propose, sealVote, sigOf, voteBody, wrap, type Open } from './harness.js'
import { honestApproval, reject, type Scenario } from './scenario.js'

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
  for (const [at, bit] of [[0, 0], [5, 3], [31, 7], [32, 1], [63, 6]] as const) {
    inputs.push(wrap(body, flipBit(sig, at, bit)))
    labels.push(`signature byte ${at} bit ${bit}`)
  }
  // body bits inside the proposal hash and the metadata text: still canonical, still schema-valid
  const hashAt = indexOf(body, open.id)
  const textAt = indexOf(body, te.encode('because'))
  for (const at of [hashAt, hashAt + 7, hashAt + 31, textAt, textAt + 3]) { inputs.push(wrap(flipBit(body, at, 0), sig)); labels.push(`body byte ${at} bit 0`) }
  // the voter's key swapped: the body names another member, the signature stays the adversary's
  for (const other of HONEST) {
    inputs.push(wrap(encodeCanonical(voteBody(open, h.ids[other]!, 'against', { metadata: { why: 'because' } })), sig))
    labels.push(`voter key of agent ${other}`)
  }
  return {
    name: 'forged votes',
    h,
    honest: HONEST,
    open,
    classes: [{
      name: 'forged-signature',
      title: 'forged signature',
      description: 'A member\'s signed vote with one bit flipped in the signature (5) or in the signed body (proposal hash, metadata; 5), ' +
        'or its body re-pointed at another member\'s key (4).',
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
