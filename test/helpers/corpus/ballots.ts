/** Corpus scenarios on proposals with choices: ballots that cannot count, and vote changes by sequence number. */
import { encodeCanonical } from '../../../src/wire/codec.js'
import { signBody } from '../../../src/wire/identity.js'
import type { OpenedVote } from '../../../src/wire/envelope.js'
import type { Ballot } from '../../../src/types.js'
import type { Bytes } from '../cbor.js'
import { ADV, HONEST, makeSwarm, propose, sealClose, sealVote, voteBody, wrap, type Harness, type Open } from './harness.js'
import { accept, ignore, reject, type CorpusClass, type Scenario } from './scenario.js'

const CHOICES = ['north', 'south', 'east', 'west']

/** Votes signed by `voter` with each ballot (sequence number 0 unless given), and their labels. */
async function ballots (h: Harness, voter: number, cases: Array<[Open, string, unknown, number?]>): Promise<{ inputs: Bytes[], labels: string[] }> {
  const inputs: Bytes[] = []
  for (const [open, , ballot, seq] of cases) {
    inputs.push((await sealVote(open, h.ids[voter]!, ballot as Ballot, { seq: seq ?? 0 })).bytes)
  }
  return { inputs, labels: cases.map(([, label]) => label) }
}

/**
 * Validly signed votes by a member whose ballot cannot count on its proposal: out of range, a ranking
 * with a repeat or a gap, bad shares, the wrong kind of ballot, a vote change where none is allowed
 * (all rejected `bad-ballot`); ballots the wire schema refuses (`malformed`); and closes counting such
 * a vote (never verifiable: the vote is never held). Four proposals, each decided by the honest votes.
 */
export async function invalidBallotsScenario (): Promise<Scenario & { single: Open, ranked: Open, shares: Open, binary: Open }> {
  const h = await makeSwarm(5)
  // the conclusions are decided one after the other, and a proposal allowing vote changes closes only at its deadline: the deadlines are staggered
  const single = await propose(h, 0, { action: 'pick one' }, { choices: CHOICES, votingType: 'single-choice', allowVoteChange: false, timeoutMs: 60_000 })
  const ranked = await propose(h, 0, { action: 'rank' }, { choices: CHOICES, votingType: 'ranked-choice', timeoutMs: 120_000 })
  const shares = await propose(h, 0, { action: 'share' }, { choices: CHOICES, votingType: 'weighted', timeoutMs: 180_000 })
  const binary = await propose(h, 0, { action: 'yes or no' }, { timeoutMs: 240_000 })
  const badBallot = async (name: string, title: string, description: string, cases: Array<[Open, string, unknown, number?]>): Promise<CorpusClass> => ({
    name, title, description, ...await ballots(h, ADV, cases), expected: reject('bad-ballot'), role: 'attack'
  })
  const classes: CorpusClass[] = [
    await badBallot('ballot-out-of-range', 'ballot out of range', 'The adversary\'s single-choice ballots 5 and 64 (4 choices), a ranking ' +
      'naming choice 5, shares for choice 5 and for a key "01" (not an index\'s spelling).', [
      [single, 'single 5', 5], [single, 'single 64', 64], [ranked, 'ranking 1,2,3,5', [1, 2, 3, 5]],
      [shares, 'share of 5', { 1: 1, 5: 1 }], [shares, 'share of "01"', { '01': 1 }]
    ]),
    await badBallot('bad-ranking', 'ranking with a repeat or a gap', 'Ranked-choice ballots that are no permutation of the 4 choices: ' +
      'a repeat (1,2,2,3; 1,1,1,1; 1,2,3,4,1), a partial ranking (1,2; 3), and none at all.', [
      [ranked, 'repeat 1,2,2,3', [1, 2, 2, 3]], [ranked, 'repeat 1,1,1,1', [1, 1, 1, 1]], [ranked, 'partial 1,2', [1, 2]],
      [ranked, 'partial 3', [3]], [ranked, 'empty', []], [ranked, 'repeat, full length 1,2,3,4,1', [1, 2, 3, 4, 1]]
    ]),
    await badBallot('bad-shares', 'bad shares', 'Weighted ballots with a negative share, a share of 7 decimal places (0.1234567), ' +
      'all shares zero, no share at all, and a share above 10⁹.', [
      [shares, 'negative share', { 1: -1, 2: 2 }], [shares, 'negative zero-sum', { 1: -1, 2: 1 }], [shares, '7 decimals', { 1: 0.1234567 }],
      [shares, 'all zero', { 1: 0, 2: 0, 3: 0, 4: 0 }], [shares, 'empty', {}], [shares, 'above 1e9', { 1: 1e9 + 1 }]
    ]),
    await badBallot('wrong-ballot-type', 'ballot of the wrong type', 'A list or a map on the single-choice proposal; for, against and a ' +
      'number on the choice proposals; a number, a list and a map on the binary proposal.', [
      [single, 'list on single-choice', [2]], [single, 'map on single-choice', { 2: 1 }], [single, 'for on single-choice', 'for'],
      [ranked, 'against on ranked-choice', 'against'], [ranked, 'number on ranked-choice', 1], [shares, 'number on weighted', 2],
      [shares, 'ranking on weighted', [1, 2, 3, 4]], [binary, 'number on binary', 1], [binary, 'list on binary', [1]], [binary, 'map on binary', { 1: 1 }]
    ]),
    await badBallot('seq-without-changes', 'vote change where none is allowed', 'Valid ballots with sequence number 1 and 63 on the ' +
      'single-choice proposal that allows no vote changes, and on the binary one (binary proposals never do).', [
      [single, 'seq 1', 2, 1], [single, 'seq 63', 2, 63], [binary, 'binary seq 1', 'for', 1]
    ])
  ]

  // shapes the wire refuses, whatever the proposal: signed as the adversary, not sealable through the schema's types
  const refused: Array<[string, unknown]> = [
    ['65 ranked entries', Array.from({ length: 65 }, (_, k) => (k % 4) + 1)],
    ['65 shares', Object.fromEntries(Array.from({ length: 65 }, (_, k) => [String(k + 1), 1]))],
    ['index 0', 0], ['index 65', 65], ['index -1', -1], ['index 1.5', 1.5], ['unknown word yes', 'yes'],
    ['share NaN', { 1: Number.NaN }], ['share Infinity', { 1: Number.POSITIVE_INFINITY }], ['share as text', { 1: '1' }], ['null', null]
  ]
  const malformed: Bytes[] = []
  for (const [, ballot] of refused) {
    const body = encodeCanonical({ ...voteBody(shares, h.ids[ADV]!), choice: ballot as Ballot })
    malformed.push(wrap(body, await signBody(h.ids[ADV]!, 'vote', body)))
  }
  classes.push({
    name: 'ballot-shape',
    title: 'ballot the wire refuses',
    description: 'Signed votes whose ballot no proposal takes: 65 ranked entries or 65 shares (more than 64), index 0, 65, −1 or 1.5, ' +
      'an unknown word, a NaN, infinite or text share, null.',
    inputs: malformed,
    labels: refused.map(([label]) => label),
    expected: reject('malformed'),
    role: 'attack'
  })

  // closes counting a bad ballot, each by its round's rightful closer (the adversary holding its key): a bad ballot is never held, so
  // the close can never be verified; it waits for votes no honest peer will give it
  // the same bytes as the bad-ballot classes' (signatures are deterministic): each was rejected already
  const bad1 = await sealVote(single, h.ids[ADV]!, 5)
  const bad2 = await sealVote(shares, h.ids[ADV]!, { 1: -1, 2: 2 })
  const bad3 = await sealVote(ranked, h.ids[ADV]!, [1, 2, 2, 3])
  const badClose = async (open: Open, vote: OpenedVote, round: number, winner: number): Promise<Bytes> =>
    sealClose(h, open, open.closer(round), {
      round,
      closedAt: round === 0 ? open.body.createdAt + 20 : open.roundStart(round),
      decision: 'approved',
      votes: [vote.id],
      tally: [1, 0, 0, 1, 0, 0],
      winner
    })
  classes.push({
    name: 'bad-ballot-close',
    title: 'close counting a bad ballot',
    description: 'Closes counting one of the adversary\'s bad ballots, rejected earlier (single-choice 5 by the coordinator in round 0; ' +
      'a negative share and a repeated ranking by the round-1 closers): a bad ballot is never held, so the close waits for it for ever.',
    inputs: [await badClose(single, bad1, 0, 5), await badClose(shares, bad2, 1, 2), await badClose(ranked, bad3, 1, 1)],
    expected: ignore('missing-votes'),
    role: 'attack'
  })

  const conclusion = (label: string, open: Open, votes: Ballot[], winner: number): Scenario['conclusions'][number] => ({
    label,
    open,
    agents: HONEST,
    steps: [{ votes: votes.map((ballot, i) => [i, ballot] as [number, Ballot]) }],
    expected: { decision: 'approved', voters: votes.map((_, i) => i), votesFor: votes.length, votesAgainst: 0, winner }
  })
  return {
    name: 'invalid ballots',
    h,
    honest: HONEST,
    single,
    ranked,
    shares,
    binary,
    classes,
    conclusions: [
      conclusion('single-choice: choice 2 wins', single, [2, 2, 3], 2),
      // first preferences 3, 3, 1: choice 3 has a majority in round 1
      conclusion('ranked-choice: choice 3 wins', ranked, [[3, 1, 2, 4], [3, 2, 1, 4], [1, 3, 2, 4]], 3),
      // shares: choice 1 gets 1/4 + 1/2 + 0 = 0.75, choice 4 gets 3/4 + 1/2 + 1 = 2.25
      conclusion('weighted: choice 4 wins', shares, [{ 1: 1, 4: 3 }, { 1: 0.5, 4: 0.5 }, { 4: 1 }], 4),
      {
        label: 'binary',
        open: binary,
        agents: HONEST,
        steps: [{ votes: [[0, 'for'], [1, 'for'], [2, 'for']] }],
        expected: { decision: 'approved', voters: [0, 1, 2], votesFor: 3, votesAgainst: 0 }
      }
    ]
  }
}

/**
 * Vote changes on a single-choice proposal that allows them, by members whose keys the adversary
 * holds: a higher sequence number replaces the counted ballot; a lower one (sent after) is held but
 * not counted; a second, different ballot of one sequence number is equivocation (the voter
 * excluded), and no later change brings it back. The replaced and superseded ballots would each
 * change the winner if counted.
 */
export async function voteChangesScenario (): Promise<Scenario & { open: Open }> {
  const honest = [0, 1, 2, 3, 4]
  // 5, 7: equivocators; 6: changes its vote; 8: its seq-2 ballot arrives before its seq-1 and seq-0 ones
  const h = await makeSwarm(9)
  const open = await propose(h, 0, { action: 'change' }, { choices: CHOICES, votingType: 'single-choice' })
  const vote = async (voter: number, ballot: Ballot, seq: number, metadata: Record<string, string> = {}): Promise<Bytes> =>
    (await sealVote(open, h.ids[voter]!, ballot, { seq, metadata })).bytes
  const firsts = [await vote(5, 1, 0), await vote(6, 1, 0), await vote(7, 1, 0), await vote(8, 3, 2)]
  const changes = [await vote(5, 1, 1), await vote(6, 3, 1)]
  const stale = [await vote(8, 1, 1), await vote(8, 1, 0)]
  const twins = [await vote(7, 2, 0), await vote(5, 2, 1)]
  const after = [await vote(7, 1, 1), await vote(5, 1, 2), await vote(7, 1, 0, { again: 'yes' })]
  return {
    name: 'vote changes',
    h,
    honest,
    open,
    classes: [{
      name: 'first-ballots',
      title: 'first ballots',
      description: 'Four members\' first ballots: three of sequence number 0 (choice 1), one of 2 (choice 3).',
      inputs: firsts,
      labels: ['5 seq 0', '6 seq 0', '7 seq 0', '8 seq 2'],
      expected: accept('counted'),
      role: 'control'
    }, {
      name: 'vote-change',
      title: 'a vote change',
      description: 'Two of them sign sequence number 1 (choice 1, choice 3): each replaces its voter\'s counted ballot.',
      inputs: changes,
      labels: ['5 seq 1', '6 seq 1'],
      expected: accept('replaced'),
      role: 'control'
    }, {
      name: 'superseded-ballot',
      title: 'an older ballot after a newer',
      description: 'The member whose sequence number 2 counts signs 1 and 0 (choice 1) after it: held, not counted, ' +
        'and the ballots the changes replaced are not counted either.',
      inputs: stale,
      labels: ['8 seq 1', '8 seq 0'],
      expected: ignore('superseded'),
      role: 'attack',
      alsoUncounted: [firsts[1] as Bytes]
    }, {
      name: 'same-seq-ballot',
      title: 'two ballots of one sequence number',
      description: 'A second, different ballot (choice 2) for a sequence number already held (7\'s 0, 5\'s 1): equivocation, ' +
        'the voter excluded, none of its ballots counted.',
      inputs: twins,
      labels: ['7 seq 0 again', '5 seq 1 again'],
      expected: accept('equivocation'),
      role: 'attack',
      alsoUncounted: [firsts[0] as Bytes, firsts[2] as Bytes, changes[0] as Bytes]
    }, {
      name: 'change-after-equivocation',
      title: 'a change after equivocation',
      description: 'The equivocators sign higher sequence numbers (and another 0): an excluded voter stays excluded.',
      inputs: after,
      labels: ['7 seq 1', '5 seq 2', '7 seq 0, third'],
      expected: ignore('duplicate'),
      role: 'attack',
      alsoUncounted: [firsts[0] as Bytes, firsts[2] as Bytes, changes[0] as Bytes]
    }],
    conclusions: [{
      label: 'the proposal: choice 3 wins',
      open,
      agents: honest,
      // member 4 changes its vote too (4 → 3); counted: 2, 2, 1, 1, 3 and 6's 3, 8's 3 — choice 3 wins with 3 against 2 and 2
      // (6's replaced or 8's superseded ballot counted would give choice 1 three, and the win; either equivocator would too)
      steps: [{ votes: [[0, 2], [1, 2], [2, 1], [3, 1], [4, 4]] }, { votes: [[4, 3]] }],
      expected: { decision: 'approved', voters: [...honest, 6, 8], votesFor: 7, votesAgainst: 0, winner: 3 }
    }]
  }
}
