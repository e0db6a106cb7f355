/**
 * Section 4 of `npm run bench`: memory, as V8 heap in use after a full GC. Runs alone too:
 * `npx tsx bench/memory.ts [--closed 10000]`.
 *
 * - **open proposal, 50 voters**: one peer (a `ConsensusManager` on a `MemoryNetwork` in virtual
 *   time, so no timer fires) is handed P proposals and the 50 signed votes of each, as they would
 *   arrive from the network; heap after − heap before, divided by P. It counts everything the peer
 *   keeps for an open proposal: the envelopes as received (they are what it relays and answers
 *   pulls with), the decoded bodies, the tally, its timers, the process-wide caches' entries. Twice:
 *   as `ConsensusManager` runs by default (no datastore: nothing is written), and with a
 *   `MemoryDatastore` (what a libp2p node passes by default: its own `components.datastore`).
 *   A warm-up run of the same shape goes first, so that one-time costs (compiled code, first
 *   entries of per-peer tables) are not charged to the measured proposals.
 * - **per held vote**: where one vote's bytes go, measured on separate proposals (other content ids,
 *   so no cache is shared with the run above): the envelope as received, what `decodeMessage` adds
 *   (the decoded-message cache entry with its private copy, the body, the content id and its hex),
 *   what `verifyMessage` adds (the verified-signature cache entry), what of all that stays once the
 *   transport drops its buffer, and the rest of the manager's share (round, tally, the proposal's
 *   share) and the datastore's, from the runs above.
 * - **closed proposals**: two peers in virtual time, each with a `MemoryDatastore` (as on libp2p),
 *   decide one proposal after another; the heap is sampled every 10 % of the way. Decided proposals
 *   are kept up to `maxClosedProposals` (1,000 by default) and then dropped, from memory and from the
 *   datastore, so the heap must level off once the process-wide caches are full too (verified
 *   signatures: 50,000 entries, 6 per proposal here; decided ids: 100,000 per peer).
 */
import { ConsensusManager, type ConsensusResult } from '../src/index.js'
import { MemoryNetwork, VirtualClock } from '../src/testing/index.js'
import { MemoryDatastore } from 'datastore-core'
import { decodeMessage, sealMessage, verifyMessage, type AnyOpened } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { createIdentity, type Identity } from '../src/wire/identity.js'
import { simulatedIdentity } from '../src/testing/swarm.js'
import { macrotask } from '../src/testing/virtual-clock.js'
import { quorum } from '../src/algorithms/index.js'
import { VoteType } from '../src/types.js'
import { exitSoon, heapUsed, isMain, log, n0, parseFlags } from './util.js'

/** What section 4 reports. */
export interface MemoryReport {
  openProposals: number
  votersPerProposal: number
  /** `ConsensusManager` as it runs by default: no datastore */
  bytesPerOpenProposal: number
  /** the same peer given a `MemoryDatastore`, as a libp2p node is by default */
  bytesPerOpenProposalWithDatastore: number
  /** where one held vote's bytes go (bytes per vote) */
  perVote: {
    /** the envelope as received (a Uint8Array of its own) */
    envelope: number
    /** what `decodeMessage` adds: cache entry and private copy, body, content id and its hex */
    decode: number
    /** what `verifyMessage` adds: the verified-signature cache entry, the verdict */
    verify: number
    /** what stays of the three once the transport dropped its buffer: the opened message and cache entries */
    opened: number
    /** the rest of an open proposal's cost per vote without a datastore: round, tally, the proposal's share */
    rest: number
    /** what the datastore adds per vote (its key string and map entry) */
    datastore: number
  }
  openGoalBytes: number
  openMet: boolean
  closedProposals: number
  maxClosedProposals: number
  /** [proposals decided so far, heap bytes] */
  closedSamples: Array<[number, number]>
  /** heap growth over the second half of the run, bytes per proposal (≈ 0 when bounded) */
  closedGrowthPerProposal: number
  closedBounded: boolean
  closedMs: number
}

interface SignedSet { messages: Array<{ bytes: Uint8Array, from: string }>, votes: number }

async function signProposals (count: number, voters: number, firstSeq: number): Promise<SignedSet> {
  const identities = await Promise.all(Array.from({ length: voters }, async (_, i) => simulatedIdentity(i)))
  const coordinators = await Promise.all(Array.from({ length: 4 }, async () => createIdentity()))
  const electorate = identities.map(id => [id.peerId, 1] as [string, number]).sort((a, b) => a[0] < b[0] ? -1 : 1)
  const start = 1_000_000
  const messages: Array<{ bytes: Uint8Array, from: string }> = []
  for (let p = firstSeq; p < firstSeq + count; p++) {
    const coordinator = coordinators[p % coordinators.length] as Identity
    const proposal = await sealMessage(coordinator, {
      type: 'proposal',
      v: PROTOCOL_VERSION,
      ns: 'default',
      coordinator: coordinator.peerId,
      seq: p,
      createdAt: start,
      deadline: start + 3_600_000,
      step: 10_000,
      electorate,
      algorithm: { name: 'quorum', kind: 'quorum', params: quorum({ threshold: 0.99 }).params },
      closers: [coordinator.peerId],
      payload: { bench: 'memory', task: `proposal ${p}` },
      choices: [],
      voteChange: false
    })
    messages.push({ bytes: new Uint8Array(proposal.bytes), from: coordinator.peerId })
    for (const voter of identities) {
      const vote = await sealMessage(voter, {
        type: 'vote',
        v: PROTOCOL_VERSION,
        ns: 'default',
        proposal: proposal.id,
        voter: voter.peerId,
        seq: 0,
        choice: VoteType.For,
        metadata: {}
      })
      messages.push({ bytes: new Uint8Array(vote.bytes), from: voter.peerId })
    }
  }
  return { messages, votes: count * voters }
}

async function openProposals (count: number, voters: number, firstSeq: number, datastore: boolean): Promise<number> {
  const { messages } = await signProposals(count, voters, firstSeq)
  const network = new MemoryNetwork({ clock: new VirtualClock(1_000_000) })
  const observer = await createIdentity()
  const manager = new ConsensusManager({
    identity: observer,
    coordinator: network.join(observer.peerId),
    clock: network.clock,
    maxOpenProposals: 10 * count,
    maxOpenProposalsPerPeer: 10 * count,
    maxMessagesPerSecondPerPeer: 1_000_000,
    ...(datastore ? { datastore: new MemoryDatastore() } : {})
  })
  await manager.start()
  const before = await heapUsed()
  for (const { bytes, from } of messages) {
    const verdict = await manager.handleMessage(bytes, from)
    if (verdict.result !== 'accept') throw new Error(`memory benchmark: a message was not accepted (${verdict.reason})`)
  }
  messages.length = 0 // the manager keeps its own references to what it holds
  const after = await heapUsed()
  if (manager.getOpenProposals().length !== count) throw new Error('memory benchmark: not every proposal is open')
  await manager.stop()
  return (after - before) / count
}

/** Envelope, decode and verify cost of one vote, on votes no other measurement has seen. */
async function voteStages (count: number, voters: number, firstSeq: number): Promise<{ envelope: number, decode: number, verify: number, opened: number }> {
  const signed = await signProposals(count, voters, firstSeq)
  const votes = signed.messages.filter((_, i) => i % (voters + 1) !== 0).map(m => m.bytes)
  signed.messages.length = 0
  const h0 = await heapUsed()
  const received = votes.map(bytes => new Uint8Array(bytes)) // as a transport hands them over: a buffer each
  const envelope = (await heapUsed() - h0) / received.length
  votes.length = 0
  const h1 = await heapUsed()
  const decoded = received.map(bytes => decodeMessage(bytes))
  const h2 = await heapUsed()
  const opened: AnyOpened[] = []
  for (const d of decoded) opened.push(await verifyMessage(d))
  const h3 = await heapUsed()
  const n = received.length
  if (opened.length !== n) throw new Error('memory benchmark: a vote did not verify')
  // after delivery the transport drops its buffer; what stays is what the opened message holds
  received.length = 0
  decoded.length = 0
  const h4 = await heapUsed()
  void opened.length // keeps the opened messages reachable until after the last sample
  return { envelope, decode: (h2 - h1) / n, verify: (h3 - h2) / n, opened: (h4 - h1) / n }
}

async function closedProposals (count: number, onSample: (done: number, heap: number) => void): Promise<number> {
  const clock = new VirtualClock(1_000_000)
  const network = new MemoryNetwork({ clock })
  const managers: ConsensusManager[] = []
  for (let i = 0; i < 2; i++) {
    const identity = await simulatedIdentity(1000 + i)
    const manager = new ConsensusManager({
      identity,
      coordinator: network.join(identity.peerId),
      clock,
      voter: () => VoteType.For,
      datastore: new MemoryDatastore()
    })
    await manager.start()
    managers.push(manager)
  }
  const started = performance.now()
  onSample(0, await heapUsed())
  for (let i = 1; i <= count; i++) {
    let result: ConsensusResult | undefined
    const pending = (managers[i % 2] as ConsensusManager).requestConsensus({ n: i }, { timeoutMs: 1_000 }).then(r => { result = r })
    await macrotask()
    // eslint-disable-next-line no-unmodified-loop-condition -- `pending`'s then() sets result while the clock runs
    while (result === undefined && clock.pending > 0) await clock.runUntil(clock.now() + 50)
    await pending
    if (result?.decision !== 'approved') throw new Error(`memory benchmark: proposal ${i} ended ${result?.decision}`)
    if (i % (count / 10) === 0) onSample(i, await heapUsed())
  }
  const ms = performance.now() - started
  for (const manager of managers) await manager.stop()
  return ms
}

/** Section 4. */
export async function runMemory (closed = 10_000, open = 100, voters = 50): Promise<MemoryReport> {
  // a first run pays one-time costs (compiled code and its feedback, first entries of per-peer
  // tables) that would be charged to its proposals: warm up with both kinds, then measure
  await openProposals(open / 2, voters, 10 * open, true)
  const perOpen = await openProposals(open, voters, 0, false)
  log(`memory: ${n0(perOpen)} bytes per open proposal with ${voters} voters (${open} proposals held at once, no datastore: the default)`)
  const perOpenStored = await openProposals(open, voters, open, true)
  log(`memory: ${n0(perOpenStored)} bytes per open proposal with a MemoryDatastore (a libp2p node's default)`)
  const stages = await voteStages(open / 2, voters, 2 * open)
  const perVote = {
    envelope: Math.round(stages.envelope),
    decode: Math.round(stages.decode),
    verify: Math.round(stages.verify),
    opened: Math.round(stages.opened),
    rest: Math.round(perOpen / voters - stages.opened),
    datastore: Math.round((perOpenStored - perOpen) / voters)
  }
  log(`memory: per held vote: envelope ${perVote.envelope} B, decode +${perVote.decode} B, verify +${perVote.verify} B; ` +
    `${perVote.opened} B of it stay once the transport's buffer is dropped; round/tally/proposal share +${perVote.rest} B; a datastore +${perVote.datastore} B`)
  const samples: Array<[number, number]> = []
  const closedMs = await closedProposals(closed, (done, heap) => {
    samples.push([done, heap])
    if (done > 0) log(`memory: ${n0(done)} proposals decided, heap ${(heap / 2 ** 20).toFixed(1)} MiB`)
  })
  const mid = samples[Math.floor(samples.length / 2)] as [number, number]
  const last = samples[samples.length - 1] as [number, number]
  const growth = (last[1] - mid[1]) / (last[0] - mid[0])
  const report: MemoryReport = {
    openProposals: open,
    votersPerProposal: voters,
    bytesPerOpenProposal: Math.round(perOpen),
    bytesPerOpenProposalWithDatastore: Math.round(perOpenStored),
    perVote,
    openGoalBytes: 64 * 1024,
    openMet: perOpen <= 64 * 1024,
    closedProposals: closed,
    maxClosedProposals: 1_000,
    closedSamples: samples,
    closedGrowthPerProposal: Math.round(growth),
    // bounded: over the second half the heap grows by less than 2 % of what one open proposal costs
    // per proposal decided (noise of GC timing), i.e. nothing per decided proposal is kept
    closedBounded: growth < perOpen * 0.02,
    closedMs: Math.round(closedMs)
  }
  log(`memory: after ${n0(closed)} decided proposals the heap grew ${n0(report.closedGrowthPerProposal)} bytes per proposal over the second half ` +
    `(${report.closedBounded ? 'bounded' : 'NOT bounded'}), ${(closedMs / 1000).toFixed(1)} s`)
  return report
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2))
  runMemory(Number(flags.get('--closed') ?? 10_000)).then(
    r => { console.log(JSON.stringify(r, null, 2)); exitSoon() },
    (err) => { console.error(err); process.exitCode = 1 }
  )
}
