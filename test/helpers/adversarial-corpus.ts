/**
 * The adversarial corpus: every class of forged, replayed, malformed or dishonest message (the
 * scenarios in ./corpus/, built on the harness in ./corpus/harness.ts), and {@link runCorpus}, which
 * feeds every input of every class to every honest agent's `ConsensusManager.handleMessage` and
 * reports, per class, how many inputs got the verdict docs/PROTOCOL.md ("Validation outcomes")
 * prescribes and how many were counted anyway.
 *
 * Used by test/adversarial.test.ts (which asserts each class's verdicts and what was not counted)
 * and by scripts/corpus.ts (`npm run corpus`, which writes docs/adversarial-corpus.md). No vitest
 * here: failures are plain errors or figures in the report.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { verifyCertificate } from '../../src/core/certificate.js'
import { roundStart } from '../../src/core/round-clock.js'
import { macrotask } from '../../src/testing/virtual-clock.js'
import { decodeCanonical } from '../../src/wire/codec.js'
import { openMessage, type AnyOpened } from '../../src/wire/envelope.js'
import { contentId, idToString } from '../../src/wire/ids.js'
import { outcomeKey } from '../../src/wire/outcome.js'
import type { Verdict } from '../../src/transport/coordinator.js'
import type { Bytes } from './cbor.js'
import { invalidBallotsScenario, voteChangesScenario } from './corpus/ballots.js'
import { forgedClosesScenario, earlyCloseScenario, forwardDatedScenario } from './corpus/closes.js'
import { nonCanonicalScenario, oversizeScenario, selfWeightScenario } from './corpus/encoding.js'
import { equivocationScenario } from './corpus/equivocation.js'
import { MALLORY } from './corpus/harness.js'
import { roundsScenario } from './corpus/rounds.js'
import { replayNamespacesScenario, replayProposalsScenario, replayTypesScenario, unknownAndDuplicateScenario } from './corpus/replay.js'
import { concludeScenario, type Concluded, type ExpectedOutcome, type Scenario } from './corpus/scenario.js'
import { forgedVotesScenario, nonMemberScenario, signerNotVoterScenario } from './corpus/signatures.js'

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
  earlyCloseScenario,
  forwardDatedScenario,
  roundsScenario,
  invalidBallotsScenario,
  voteChangesScenario
]

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
  /** inputs counted: a vote event while handled, or in a final certificate's counted votes or acks, or (closes) its outcome acked or certified */
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
    try {
      const sr = await runScenario(s)
      report.scenarios.push(sr)
      report.classes.push(...sr.classes)
      options.onProgress?.(`${s.name}: ${sr.classes.filter(c => c.role === 'attack').map(c => `${c.name} ${c.inputsAsExpected}/${c.inputs}`).join(', ')}`)
    } finally {
      await s.h.swarm.stop()
    }
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
      scenario: s.name,
      name: c.name,
      title: c.title,
      description: c.description,
      role: c.role,
      inputs: c.inputs.length,
      deliveries: c.inputs.length * targets.length * passes,
      expected: c.expected,
      verdicts: {},
      inputsAsExpected: 0,
      deliveriesAsExpected: 0,
      counted: 0,
      evidence: 0,
      problems: []
    }
    const good = c.inputs.map(() => true)
    const events = c.inputs.map(() => false)
    for (let pass = 0; pass < passes; pass++) {
      for (const [k, bytes] of c.inputs.entries()) {
        for (const i of targets) {
          const votesBefore = h.votes[i]?.length ?? 0
          const evidenceBefore = h.evidence[i]?.length ?? 0
          // a handler that throws is a failure of its own, reported under a key no verdict has
          let got: string
          try {
            got = verdictKey(await h.swarm.agent(i).manager.handleMessage(bytes, MALLORY))
          } catch (err: any) {
            got = `ignore:THREW ${String(err?.message ?? err)}`
          }
          cr.verdicts[got] = (cr.verdicts[got] ?? 0) + 1
          if (got === verdictKey(c.expected)) {
            cr.deliveriesAsExpected++
          } else {
            good[k] = false
            const label = c.labels?.[k] !== undefined ? ` (${c.labels[k]})` : ''
            if (cr.problems.length < 5) cr.problems.push(`input ${k}${label} at agent ${i}: got ${got}, expected ${verdictKey(c.expected)}`)
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
        label: conclusion.label,
        expected: conclusion.expected,
        decision: 'none',
        voters: [],
        votesFor: 0,
        votesAgainst: 0,
        unchanged: false,
        certificateVerifies: false,
        stable: false,
        problems: [String(err?.message ?? err)]
      })
    }
  }
  const indexOfPeer = (peerId: string): number => h.ids.findIndex(id => id.peerId === peerId)
  const sameSet = (a: number[], b: number[]): boolean =>
    a.length === b.length && [...a].sort((x, y) => x - y).every((x, k) => x === [...b].sort((p, q) => p - q)[k])
  for (const { conclusion, result, undecidedHeld } of concluded) {
    const problems: string[] = []
    if (!undecidedHeld) problems.push('decided before every honest vote was in')
    const voters = result.voters.map(indexOfPeer)
    const e = conclusion.expected
    if (result.decision !== e.decision) problems.push(`decision ${result.decision}, expected ${e.decision}`)
    if (!sameSet(voters, e.voters)) problems.push(`voters ${voters.join(',')}, expected ${e.voters.join(',')}`)
    if (result.votesFor !== e.votesFor || result.votesAgainst !== e.votesAgainst) {
      problems.push(`tally ${result.votesFor} for / ${result.votesAgainst} against, expected ${e.votesFor} / ${e.votesAgainst}`)
    }
    if (e.winner !== undefined && (result.winner ?? null) !== e.winner) problems.push(`winner ${String(result.winner)}, expected ${String(e.winner)}`)
    const certId = result.certificate?.id
    for (const i of conclusion.agents) {
      const d = h.swarm.agent(i).decisions.get(conclusion.open.key)
      if (d?.decision !== result.decision || d.certificate?.id !== certId || d.voters.join() !== result.voters.join() || d.winner !== result.winner) {
        problems.push(`agent ${i} holds another decision`)
      }
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
      label: conclusion.label,
      expected: e,
      decision: result.decision,
      voters,
      votesFor: result.votesFor,
      votesAgainst: result.votesAgainst,
      unchanged: problems.length === 0,
      certificateVerifies,
      stable: true,
      problems
    })
  }

  // let time run past every pinned closer's round and a few more: held closes come due, nothing changes
  const horizon = Math.max(...s.conclusions.map(c => roundStart(c.open.body, c.open.body.closers.length + 3)))
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

  // counted: what every honest peer's final certificates count and carry, and which outcomes honest peers prevoted or precommitted
  const honestPeers = new Set(s.honest.map(i => h.ids[i]!.peerId))
  const countedEnvelopes = new Set<string>()
  const certifiedOutcomes = new Set<string>()
  const certifiedAcks = new Set<string>()
  for (const { conclusion } of concluded) {
    for (const i of conclusion.agents) {
      const certificate = h.swarm.agent(i).decisions.get(conclusion.open.key)?.certificate
      if (certificate === undefined) continue
      certifiedOutcomes.add(certificate.id)
      for (const a of certificate.acks) certifiedAcks.add(bytesKey(a))
      const close = await tryOpen(certificate.close)
      const countedIds = new Set(close?.body.type === 'close' ? close.body.votes.map(idToString) : [])
      for (const v of certificate.votes) if (countedIds.has(bodyKey(v) ?? '')) countedEnvelopes.add(bytesKey(v))
    }
  }
  const ackedOutcomes = new Set<string>()
  for (const sent of h.sent) {
    if (!honestPeers.has(sent.from)) continue
    const opened = await tryOpen(sent.bytes)
    if (opened?.body.type === 'ack' && opened.body.value !== null) ackedOutcomes.add(idToString(opened.body.value))
  }
  const legit = new Set(s.classes.filter(c => c.role === 'control' && c.expected.result === 'accept').flatMap(c => c.inputs.map(bytesKey)))
  const outcomeOf = new Map<string, string>()
  for (const c of s.classes) {
    for (const bytes of c.inputs) {
      const opened = await tryOpen(bytes)
      if (opened?.body.type === 'close') outcomeOf.set(bytesKey(bytes), outcomeKey(opened.body))
    }
  }
  const isCounted = (bytes: Bytes, eventSeen: boolean): boolean => {
    if (eventSeen) return true
    // a close counts if its outcome was prevoted, precommitted or certified by an honest peer; an ack if a certificate carries it
    const outcome = outcomeOf.get(bytesKey(bytes))
    if (outcome !== undefined && (ackedOutcomes.has(outcome) || certifiedOutcomes.has(outcome))) return true
    if (certifiedAcks.has(bytesKey(bytes))) return true
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
