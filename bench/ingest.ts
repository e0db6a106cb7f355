/**
 * Section 2 of `npm run bench`: vote ingest against raw Ed25519 verification, in the same run, on
 * the same signed bytes. Runs alone too: `npx tsx bench/ingest.ts`.
 *
 * - **ingest** = what a peer does with each vote that arrives: `decodeMessage` (size limit, envelope,
 *   strict CBOR decode of the body, canonical re-encode and compare, schema), `verifyMessage` (Ed25519
 *   over the domain-separated body), `ProposalState.addVote` (dedup, equivocation check, running tally) and
 *   `ProposalState.evaluate` (can the coordinator close?). Also through the whole `ConsensusManager.handleMessage`
 *   (adds the rate limit, the datastore write and the `vote` event).
 * - **baseline** = the fastest raw Ed25519 verify this platform offers, of the very same signing
 *   bytes: WebCrypto `crypto.subtle.verify` with keys imported beforehand, `node:crypto.verify` with
 *   a cached `KeyObject`, and `@libp2p/crypto`'s `publicKey.verify`; the fastest is the baseline.
 *
 * Every vote is new to the process when ingested (no signature cache can help), 64 in flight at a
 * time for every contender (a node validates many messages at once); the signers' keys are warm
 * (a peer meets the same voters again and again). Chunks of votes alternate between contenders so
 * that load from other processes hits all alike.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sha256 } from '@noble/hashes/sha2.js'
import { ConsensusManager } from '../src/index.js'
import { MemoryNetwork, VirtualClock } from '../src/testing/index.js'
import { checkProposal } from '../src/core/context.js'
import { ProposalState } from '../src/core/proposal-state.js'
import { quorum } from '../src/algorithms/index.js'
import { decodeMessage, sealMessage, verifyMessage, type OpenedProposal, type OpenedVote } from '../src/wire/envelope.js'
import { PROTOCOL_VERSION } from '../src/wire/messages.js'
import { signingBytes } from '../src/wire/domain.js'
import { createIdentity, type Identity } from '../src/wire/identity.js'
import { publicKeyOf } from '../src/wire/public-keys.js'
import { VoteType } from '../src/types.js'
import { exitSoon, isMain, limited, log, n0, times } from './util.js'

// small chunks, many alternations: load from other processes comes and goes within seconds
const CHUNK = 256
const IN_FLIGHT = 64
const VOTERS = 64

/** What section 2 reports. */
export interface IngestReport {
  votes: number
  inFlight: number
  /** votes/s through decode + canonical check + verify + addVote + evaluate */
  ingestPerSecond: number
  /** votes/s through ConsensusManager.handleMessage */
  managerPerSecond: number
  /** raw verifies/s per backend, same bytes */
  verifyPerSecond: Record<string, number>
  baseline: string
  ratio: number
  managerRatio: number
  goal: number
  met: boolean
}

interface Prepared {
  voters: Identity[]
  requester: Identity
  proposals: OpenedProposal[]
  /** per chunk: the votes' envelopes (fresh buffers) and what a raw verify needs */
  chunks: Array<Array<{ bytes: Uint8Array, signer: string, data: Uint8Array, signature: Uint8Array }>>
}

async function prepare (chunks: number): Promise<Prepared> {
  const voters = await Promise.all(Array.from({ length: VOTERS }, async (_, i) => createIdentity(sha256(new TextEncoder().encode(`bench ingest voter ${i}`)))))
  const requester = await createIdentity()
  const electorate = voters.map(v => [v.peerId, 1] as [string, number]).sort((a, b) => a[0] < b[0] ? -1 : 1)
  const perChunk = CHUNK / VOTERS
  const proposals: OpenedProposal[] = []
  const out: Prepared['chunks'] = []
  for (let c = 0; c < chunks; c++) {
    const chunk: Prepared['chunks'][number] = []
    for (let p = 0; p < perChunk; p++) {
      const proposal = await sealMessage(requester, {
        type: 'proposal',
        v: PROTOCOL_VERSION,
        ns: 'default',
        coordinator: requester.peerId,
        seq: proposals.length,
        createdAt: 1_000_000,
        deadline: 1_000_000 + 3_600_000,
        step: 10_000,
        electorate,
        algorithm: { name: 'quorum', kind: 'quorum', params: quorum().params },
        closers: [requester.peerId],
        payload: { bench: 'ingest', n: proposals.length },
        choices: [],
        voteChange: false
      })
      proposals.push(proposal)
      for (const [i, voter] of voters.entries()) {
        const vote = await sealMessage(voter, {
          type: 'vote',
          v: PROTOCOL_VERSION,
          ns: 'default',
          proposal: proposal.id,
          voter: voter.peerId,
          seq: 0,
          choice: i % 4 === 0 ? VoteType.Against : VoteType.For,
          metadata: {}
        })
        const envelope = decodeMessage(vote.bytes)
        chunk.push({
          bytes: new Uint8Array(vote.bytes),
          signer: voter.peerId,
          data: signingBytes('vote', envelope.bodyBytes),
          signature: envelope.signature as Uint8Array
        })
      }
    }
    out.push(chunk)
  }
  return { voters, requester, proposals, chunks: out }
}

type Contender = (chunk: Prepared['chunks'][number]) => Promise<void>

async function timed (run: Contender, chunk: Prepared['chunks'][number]): Promise<number> {
  const start = performance.now()
  await run(chunk)
  return performance.now() - start
}

/** Section 2. */
export async function runIngest (measuredChunks = 12): Promise<IngestReport> {
  // chunks: 1 warm-up + measured for the pipeline, the same again for the manager
  const prepared = await prepare(2 * (1 + measuredChunks))
  const quorumAlgorithm = quorum()
  const lookup = (kind: string): typeof quorumAlgorithm | undefined => kind === 'quorum' ? quorumAlgorithm : undefined
  const rounds = new Map<string, ProposalState>()
  for (const proposal of prepared.proposals) {
    rounds.set(proposal.key, new ProposalState(checkProposal(proposal, lookup) as NonNullable<ReturnType<typeof checkProposal>>))
  }

  // raw verify backends, keys imported up front
  const subtleKeys = new Map<string, CryptoKey>()
  const nodeKeys = new Map<string, KeyObject>()
  for (const voter of prepared.voters) {
    const raw = (publicKeyOf(voter.peerId) as NonNullable<ReturnType<typeof publicKeyOf>>).raw
    subtleKeys.set(voter.peerId, await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']))
    nodeKeys.set(voter.peerId, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' }))
  }
  const check = (ok: boolean): void => { if (!ok) throw new Error('a benchmark signature did not verify') }
  const baselines: Record<string, Contender> = {
    'WebCrypto crypto.subtle': async (chunk) => {
      await limited(IN_FLIGHT, chunk.map(m => async () => {
        const key = subtleKeys.get(m.signer) as CryptoKey
        check(await crypto.subtle.verify({ name: 'Ed25519' }, key, m.signature as Uint8Array<ArrayBuffer>, m.data as Uint8Array<ArrayBuffer>))
      }))
    },
    'node:crypto (cached KeyObject)': async (chunk) => {
      await limited(IN_FLIGHT, chunk.map(m => async () => { check(nodeVerify(null, m.data, nodeKeys.get(m.signer) as KeyObject, m.signature)) }))
    },
    '@libp2p/crypto': async (chunk) => {
      await limited(IN_FLIGHT, chunk.map(m => async () => {
        check(await (publicKeyOf(m.signer) as NonNullable<ReturnType<typeof publicKeyOf>>).verify(m.data, m.signature))
      }))
    }
  }
  const ingest: Contender = async (chunk) => {
    await limited(IN_FLIGHT, chunk.map(m => async () => {
      const vote = await verifyMessage(decodeMessage(m.bytes)) as OpenedVote
      const round = rounds.get(idHex(vote.body.proposal)) as ProposalState
      if (round.addVote(vote) !== 'counted') throw new Error('a benchmark vote was not counted')
      round.evaluate()
    }))
  }
  const network = new MemoryNetwork({ clock: new VirtualClock(1_000_000) })
  const observer = await createIdentity()
  const manager = new ConsensusManager({
    identity: observer,
    coordinator: network.join(observer.peerId),
    clock: network.clock,
    maxOpenProposalsPerPeer: 10_000,
    maxOpenProposals: 10_000
  })
  await manager.start()
  for (const proposal of prepared.proposals) {
    const verdict = await manager.handleMessage(new Uint8Array(proposal.bytes), prepared.requester.peerId)
    if (verdict.result !== 'accept') throw new Error(`benchmark proposal not accepted: ${verdict.reason}`)
  }
  const viaManager: Contender = async (chunk) => {
    await limited(IN_FLIGHT, chunk.map(m => async () => {
      const verdict = await manager.handleMessage(m.bytes, m.signer)
      if (verdict.result !== 'accept') throw new Error(`a benchmark vote was not accepted: ${verdict.reason}`)
    }))
  }

  const ms: Record<string, number> = { ingest: 0, manager: 0 }
  for (const name of Object.keys(baselines)) ms[name] = 0
  const chunks = prepared.chunks
  const half = 1 + measuredChunks
  for (let k = 0; k < half; k++) {
    const measured = k > 0
    const pipelineChunk = chunks[k] as Prepared['chunks'][number]
    const managerChunk = chunks[half + k] as Prepared['chunks'][number]
    // alternate the order so that drift hits every contender alike
    const order = k % 2 === 0 ? ['base', 'ingest', 'manager'] : ['manager', 'ingest', 'base']
    for (const step of order) {
      if (step === 'base') {
        for (const [name, run] of Object.entries(baselines)) { const t = await timed(run, pipelineChunk); if (measured) ms[name] = (ms[name] ?? 0) + t }
      } else if (step === 'ingest') {
        const t = await timed(ingest, pipelineChunk); if (measured) ms.ingest = (ms.ingest ?? 0) + t
      } else {
        const t = await timed(viaManager, managerChunk); if (measured) ms.manager = (ms.manager ?? 0) + t
      }
    }
  }
  await manager.stop()
  const votes = measuredChunks * CHUNK
  const rate = (t: number | undefined): number => Math.round(votes / ((t as number) / 1000))
  const verifyPerSecond = Object.fromEntries(Object.keys(baselines).map(name => [name, rate(ms[name])]))
  const [baseline, best] = Object.entries(verifyPerSecond).sort((a, b) => b[1] - a[1])[0] as [string, number]
  const report: IngestReport = {
    votes,
    inFlight: IN_FLIGHT,
    ingestPerSecond: rate(ms.ingest),
    managerPerSecond: rate(ms.manager),
    verifyPerSecond,
    baseline,
    ratio: Math.round(rate(ms.ingest) / best * 100) / 100,
    managerRatio: Math.round(rate(ms.manager) / best * 100) / 100,
    goal: 0.8,
    met: rate(ms.ingest) / best >= 0.8
  }
  const others = Object.entries(verifyPerSecond).filter(([n]) => n !== baseline).map(([n, r]) => `${n} ${n0(r)}/s`).join(', ')
  log(`ingest: ${n0(report.ingestPerSecond)} votes/s (through the manager ${n0(report.managerPerSecond)}/s) ` +
    `against ${n0(best)} raw verifies/s (${baseline}): ${times(report.ratio)} (${times(report.managerRatio)}); other verifiers: ${others}`)
  return report
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
function idHex (id: Uint8Array): string {
  let hex = ''
  for (const byte of id) hex += HEX[byte] as string
  return hex
}

if (isMain(import.meta.url)) {
  runIngest().then(r => { console.log(JSON.stringify(r, null, 2)); exitSoon() }, (err) => { console.error(err); process.exitCode = 1 })
}
