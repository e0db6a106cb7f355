/**
 * `npm run bench`: consensus decision latency against a raw gossipsub round on the same libp2p
 * nodes, in the same run, so that the overhead is a ratio rather than an absolute that depends on
 * the machine. See bench/README.md for what is measured and why.
 *
 * Flags (all optional):
 *   --sizes 10,25          swarm sizes N
 *   --topologies mesh,star mesh = full mesh over the memory transport; star = websockets hub on 127.0.0.1
 *   --rounds 20            measured round pairs per size and topology (one raw + one consensus each)…
 *   --budget 60            …but stop after this many seconds of measuring, once --min-rounds are done
 *   --min-rounds 10
 *   --warmup 3             unmeasured round pairs first
 *   --kinds raw,consensus  which rounds to run (e.g. only consensus when profiling)
 *   --raw-bytes 12         size of each raw message (padding after the 12-byte header)
 *   --out bench/results.json
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname } from 'node:path'
import { performance } from 'node:perf_hooks'
import { connectFullMesh, createConsensusNode, stopAll, type ConsensusNode } from '../demo/swarm.js'
import { VoteType, type ConsensusResult } from '../src/index.js'

// ---- options --------------------------------------------------------------------------------------

type Topology = 'mesh' | 'star'
type Kind = 'raw' | 'consensus'

interface Options {
  sizes: number[]
  topologies: Topology[]
  rounds: number
  minRounds: number
  /** seconds of measured rounds per size and topology after which we stop (once minRounds are done) */
  budgetS: number
  warmup: number
  kinds: Kind[]
  /** size of each raw round message (≥ 12) */
  rawBytes: number
  out: string
}

function parseArgs (argv: string[]): Options {
  const opts: Options = { sizes: [10, 25], topologies: ['mesh', 'star'], rounds: 20, minRounds: 10, budgetS: 60, warmup: 3, kinds: ['raw', 'consensus'], rawBytes: 12, out: 'bench/results.json' }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) as [string, string] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    const list = (): string[] => value().split(',').map(s => s.trim()).filter(s => s.length > 0)
    const int = (min: number): number => {
      const n = Number(value())
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}`)
      return n
    }
    switch (flag) {
      case '--sizes': opts.sizes = list().map(Number); break
      case '--topologies': opts.topologies = list() as Topology[]; break
      case '--kinds': opts.kinds = list() as Kind[]; break
      case '--rounds': opts.rounds = int(1); break
      case '--min-rounds': opts.minRounds = int(1); break
      case '--budget': opts.budgetS = int(1); break
      case '--warmup': opts.warmup = int(0); break
      case '--raw-bytes': opts.rawBytes = int(12); break
      case '--out': opts.out = value(); break
      case '--help': case '-h':
        console.log('usage: tsx bench/latency.ts [--sizes 10,25] [--topologies mesh,star] [--rounds 20] [--min-rounds 10] [--budget 60] [--warmup 3] [--kinds raw,consensus] [--raw-bytes 12] [--out bench/results.json]')
        process.exit(0)
        break
      default: throw new Error(`unknown flag ${arg} (try --help)`)
    }
  }
  opts.minRounds = Math.min(opts.minRounds, opts.rounds)
  if (opts.sizes.some(n => !Number.isInteger(n) || n < 3 || n > 200)) throw new Error('--sizes: integers from 3 to 200')
  if (opts.topologies.some(t => t !== 'mesh' && t !== 'star')) throw new Error('--topologies: mesh and/or star')
  if (opts.kinds.length === 0 || opts.kinds.some(k => k !== 'raw' && k !== 'consensus')) throw new Error('--kinds: raw and/or consensus')
  return opts
}

// ---- small helpers --------------------------------------------------------------------------------

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
/** Monotonic microseconds, on the clock V8's `--cpu-prof` timestamps use (CLOCK_MONOTONIC). */
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n)
const t0 = performance.now()
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`
const log = (line: string): void => { console.log(`[${elapsed().padStart(7)}] ${line}`) }

/** Percentile by linear interpolation between closest ranks (R-7, the spreadsheet default). */
function percentile (samples: number[], p: number): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (sorted.length - 1) * p
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo)
}

interface Summary { n: number, p50: number | null, p95: number | null, mean: number | null, min: number | null, max: number | null }

function summarize (samples: number[]): Summary {
  const r = (x: number | null): number | null => x === null ? null : Math.round(x * 100) / 100
  return {
    n: samples.length,
    p50: r(percentile(samples, 0.5)),
    p95: r(percentile(samples, 0.95)),
    mean: r(samples.length === 0 ? null : samples.reduce((a, b) => a + b, 0) / samples.length),
    min: r(samples.length === 0 ? null : Math.min(...samples)),
    max: r(samples.length === 0 ? null : Math.max(...samples))
  }
}

/** Run `tasks` with at most `limit` in flight (the hub refuses floods of simultaneous handshakes). */
async function limited <T> (limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }))
  return results
}

async function waitFor (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > until) return false
    await sleep(10)
  }
  return true
}

// ---- the swarm ------------------------------------------------------------------------------------

/** The baseline's topic: the same gossipsub instance and settings, no validator, no topic score params. */
const RAW_TOPIC = 'libp2p-consensus-bench/raw/v1'
const ROUND_TIMEOUT_MS = 12_000
const PROPOSAL_TIMEOUT_MS = 10_000

interface Swarm {
  topology: Topology
  nodes: ConsensusNode[]
  ids: string[]
  /** per node: how many peers it should see on each topic (its connections) */
  expectedPeers: number[]
  setupMs: number
  /** every node's pubsub 'message' events (both topics), to detect when traffic has died down */
  messageEvents: number
}

async function buildSwarm (topology: Topology, n: number): Promise<Swarm> {
  const started = performance.now()
  const consensus = { voter: () => VoteType.For }
  const nodes: ConsensusNode[] = []
  try {
    if (topology === 'mesh') {
      // createConsensusNode's default preset is 'hub': every peer keeps every other in its mesh
      for (let i = 0; i < n; i++) nodes.push(await createConsensusNode({ transport: 'memory', consensus }))
      await connectFullMesh(nodes, 60_000)
    } else {
      const hub = await createConsensusNode({ transport: 'websockets', preset: 'hub', consensus })
      nodes.push(hub)
      for (let i = 1; i < n; i++) nodes.push(await createConsensusNode({ transport: 'websockets', preset: 'leaf', consensus }))
      await limited(8, nodes.slice(1).map(leaf => async () => leaf.dial(hub.getMultiaddrs())))
      await hub.services.consensus.coordinator.waitForPeers(n - 1, { timeoutMs: 60_000 })
      await Promise.all(nodes.slice(1).map(async leaf => leaf.services.consensus.coordinator.waitForPeers(1, { timeoutMs: 60_000 })))
    }
  } catch (err) {
    await stopAll(nodes)
    throw err
  }
  const consensusTopic = (nodes[0] as ConsensusNode).services.consensus.coordinator.topic
  const swarm: Swarm = {
    topology,
    nodes,
    ids: nodes.map(node => node.peerId.toString()),
    expectedPeers: nodes.map((_, i) => topology === 'mesh' || i === 0 ? n - 1 : 1),
    setupMs: 0,
    messageEvents: 0
  }
  for (const node of nodes) {
    node.services.pubsub.subscribe(RAW_TOPIC)
    node.services.pubsub.addEventListener('message', () => { swarm.messageEvents++ })
  }
  // both topics must have every connected peer subscribed AND in the mesh (no gossip-only paths)
  const ready = (): boolean => nodes.every((node, i) => [RAW_TOPIC, consensusTopic].every(topic =>
    node.services.pubsub.getSubscribers(topic).length >= (swarm.expectedPeers[i] as number) &&
    (node.services.pubsub.getMeshPeers?.(topic).length ?? Infinity) >= (swarm.expectedPeers[i] as number)))
  if (!await waitFor(ready, 30_000)) {
    const short = nodes.map((node, i) => `${i}:${node.services.pubsub.getMeshPeers?.(RAW_TOPIC).length}/${node.services.pubsub.getMeshPeers?.(consensusTopic).length}`)
    log(`  warning: not every mesh is full after 30 s (node:raw/consensus mesh sizes ${short.join(' ')}); measuring anyway`)
  }
  swarm.setupMs = performance.now() - started
  return swarm
}

/**
 * Wait until the previous round's tail is over, so that it does not slow the next round down: a
 * round ends when every node has every message once, but relays keep forwarding duplicates (and, for
 * consensus, the votes and acks beyond the thresholds) for a while. Quiet = three 20 ms checks in a
 * row with no new pubsub message on any node and the process below 20 % CPU; at most `maxMs`.
 */
async function settle (swarm: Swarm, maxMs = 10_000): Promise<{ ms: number, messages: number, cpuMs: number }> {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const first = swarm.messageEvents
  let quietChecks = 0
  while (quietChecks < 3 && performance.now() < start + maxMs) {
    const messages = swarm.messageEvents
    const cpu = process.cpuUsage()
    const t = performance.now()
    await sleep(20)
    const d = process.cpuUsage(cpu)
    const busy = (d.user + d.system) / 1000 / (performance.now() - t)
    quietChecks = swarm.messageEvents === messages && busy < 0.2 ? quietChecks + 1 : 0
  }
  const cpu = process.cpuUsage(cpuStart)
  return { ms: Math.round(performance.now() - start), messages: swarm.messageEvents - first, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }
}

// ---- raw gossipsub round --------------------------------------------------------------------------

/** 12 bytes: magic 'BNCH', round id (u32), kind (0 = ping, 1 = reply), sender index (u16), 1 spare byte; zero padding up to `size`. */
function rawMessage (round: number, kind: 0 | 1, sender: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  bytes.set([0x42, 0x4e, 0x43, 0x48])
  const view = new DataView(bytes.buffer)
  view.setUint32(4, round)
  view.setUint8(8, kind)
  view.setUint16(9, sender)
  return bytes
}

interface RawState {
  id: number
  originator: number
  start: number
  /** per node: messages of this round seen (its own publishes count as seen) */
  seen: Array<Set<number>>
  doneAt: Array<number | undefined>
  done: number
  originatorRepliesAt?: number
  errors: string[]
  finish?: () => void
}

interface RawSample {
  ms: number | null
  originatorAllRepliesMs: number | null
  complete: number
  originator: number
  cpuMs?: number
  /** the wait after the round until the swarm is quiet (see `settle`): how long, new messages seen, CPU spent */
  settle?: { ms: number, messages: number, cpuMs: number }
  errors: string[]
}

class RawRounds {
  private current: RawState | undefined
  private nextId = 1
  stray = 0

  constructor (private readonly swarm: Swarm, private readonly size: number) {
    swarm.nodes.forEach((node, i) => {
      node.services.pubsub.addEventListener('message', (evt) => {
        const msg = evt.detail
        if (msg.topic !== RAW_TOPIC) return
        this.onMessage(i, msg.data)
      })
    })
  }

  private mark (state: RawState, node: number, key: number): void {
    const seen = state.seen[node] as Set<number>
    if (seen.has(key)) return
    seen.add(key)
    if (seen.size === this.swarm.nodes.length && state.doneAt[node] === undefined) {
      state.doneAt[node] = performance.now()
      if (++state.done === this.swarm.nodes.length) state.finish?.()
    }
  }

  private onMessage (node: number, data: Uint8Array): void {
    const state = this.current
    if (data.byteLength !== this.size || state === undefined) { this.stray++; return }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const round = view.getUint32(4)
    const kind = view.getUint8(8)
    const sender = view.getUint16(9)
    if (round !== state.id) { this.stray++; return }
    // key: the ping is 0 (sent by the originator), the reply of node s is s + 1
    const key = kind === 0 ? 0 : sender + 1
    this.mark(state, node, key)
    if (kind === 0 && node !== state.originator) {
      this.mark(state, node, node + 1)
      this.swarm.nodes[node]!.services.pubsub.publish(RAW_TOPIC, rawMessage(state.id, 1, node, this.size))
        .catch((err: Error) => { state.errors.push(`node ${node} reply: ${err.message}`) })
    } else if (kind === 1 && node === state.originator && (state.seen[node] as Set<number>).size === this.swarm.nodes.length) {
      state.originatorRepliesAt = performance.now()
    }
  }

  /** One round: the originator publishes; every other node replies on receipt; ends when every node has all N messages. */
  async run (originator: number): Promise<RawSample> {
    const n = this.swarm.nodes.length
    const state: RawState = {
      id: this.nextId++,
      originator,
      start: 0,
      seen: this.swarm.nodes.map(() => new Set<number>()),
      doneAt: this.swarm.nodes.map(() => undefined),
      done: 0,
      errors: []
    }
    const finished = new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, ROUND_TIMEOUT_MS)
      state.finish = () => { clearTimeout(timer); resolve(true) }
    })
    this.current = state
    state.start = performance.now()
    this.mark(state, originator, 0)
    this.swarm.nodes[originator]!.services.pubsub.publish(RAW_TOPIC, rawMessage(state.id, 0, originator, this.size))
      .catch((err: Error) => { state.errors.push(`originator publish: ${err.message}`) })
    const ok = await finished
    this.current = undefined
    const end = Math.max(...state.doneAt.map(t => t ?? -Infinity))
    return {
      ms: ok ? end - state.start : null,
      originatorAllRepliesMs: state.originatorRepliesAt === undefined ? null : state.originatorRepliesAt - state.start,
      complete: state.done,
      originator,
      errors: ok || n === 0 ? state.errors : [...state.errors, `timeout: ${state.done}/${n} nodes complete`]
    }
  }
}

// ---- consensus round ------------------------------------------------------------------------------

interface ConsensusSample {
  ms: number | null
  requesterMs: number | null
  decided: number
  originator: number
  decision: string | null
  /** process CPU time (user + system, all threads) spent during the round */
  cpuMs?: number
  /** the wait after the round until the swarm is quiet (see `settle`): how long, new messages seen, CPU spent */
  settle?: { ms: number, messages: number, cpuMs: number }
  /** direct-protocol frames (pull requests and answers) sent during the round, all nodes together */
  directFrames: number
  errors: string[]
}

class ConsensusRounds {
  /** per node: proposal id → performance.now() of its 'decision' event */
  private readonly decidedAt: Array<Map<string, { at: number, decision: string }>>
  private waiting: { id: string, check: () => void } | undefined
  private seq = 0

  constructor (private readonly swarm: Swarm) {
    this.decidedAt = swarm.nodes.map(() => new Map())
    swarm.nodes.forEach((node, i) => {
      node.services.consensus.addEventListener('decision', (evt) => {
        this.decidedAt[i]?.set(evt.detail.proposalId, { at: performance.now(), decision: evt.detail.decision })
        this.waiting?.check()
      })
    })
  }

  private directFrames (): number {
    return this.swarm.nodes.reduce((sum, node) => sum + node.services.consensus.coordinator.direct.counters.sent, 0)
  }

  /** One proposal by `originator`, quorum, every peer in the electorate and voting 'for' at once. */
  async run (originator: number): Promise<ConsensusSample> {
    const { nodes, ids } = this.swarm
    const framesBefore = this.directFrames()
    const errors: string[] = []
    const start = performance.now()
    let result: ConsensusResult | undefined
    let requesterAt: number | undefined
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, ROUND_TIMEOUT_MS) })
    try {
      result = await Promise.race([
        nodes[originator]!.services.consensus.requestConsensus(
          { bench: 'latency', topology: this.swarm.topology, round: this.seq++ },
          { algorithm: 'quorum', participants: ids, timeoutMs: PROPOSAL_TIMEOUT_MS }
        ),
        timeout
      ])
      requesterAt = performance.now()
    } catch (err: any) {
      errors.push(`requestConsensus: ${String(err?.message ?? err)}`)
    } finally {
      clearTimeout(timer)
    }
    let decided = 0
    let end = -Infinity
    if (result !== undefined) {
      const id = result.proposalId
      const count = (): number => this.decidedAt.filter(m => m.has(id)).length
      if (count() < nodes.length) {
        const left = Math.max(0, ROUND_TIMEOUT_MS - (performance.now() - start))
        await new Promise<void>(resolve => {
          const timer = setTimeout(() => { this.waiting = undefined; resolve() }, left)
          this.waiting = { id, check: () => { if (count() === nodes.length) { clearTimeout(timer); this.waiting = undefined; resolve() } } }
        })
      }
      for (const m of this.decidedAt) {
        const d = m.get(id)
        if (d === undefined) continue
        decided++
        end = Math.max(end, d.at)
        if (d.decision !== 'approved') errors.push(`a peer decided ${d.decision}`)
      }
      if (decided < nodes.length) errors.push(`timeout: ${decided}/${nodes.length} peers decided`)
    } else if (errors.length === 0) {
      errors.push('timeout: the requester got no result')
    }
    for (const m of this.decidedAt) m.clear()
    return {
      ms: result !== undefined && decided === nodes.length ? end - start : null,
      requesterMs: requesterAt === undefined || result === undefined ? null : requesterAt - start,
      decided,
      originator,
      decision: result?.decision ?? null,
      directFrames: this.directFrames() - framesBefore,
      errors
    }
  }
}

// ---- one size × topology ----------------------------------------------------------------------------

interface Window { kind: Kind, startUs: number, endUs: number }

interface ConfigResult {
  topology: string
  transport: string
  n: number
  setupMs: number
  rounds: number
  warmup: number
  /** os.loadavg() (1, 5, 15 min) when the configuration started and ended: other processes share the cores */
  loadAverage: { before: number[], after: number[] }
  raw?: { summary: Summary, originatorAllReplies: Summary, cpuMs: Summary, cpuWithTailMs: Summary, failures: number, samples: RawSample[] }
  consensus?: { summary: Summary, requester: Summary, cpuMs: Summary, cpuWithTailMs: Summary, failures: number, directFramesPerRound: number, samples: ConsensusSample[] }
  ratio: { p50: number | null, p95: number | null }
  strayRawMessages: number
  /** monotonic µs windows of the measured rounds, to slice a --cpu-prof profile (bench/profile-summary.ts) */
  windows: Window[]
  wallMs: number
}

const TOPOLOGY_NAME: Record<Topology, { name: string, transport: string }> = {
  mesh: { name: 'full mesh', transport: 'memory' },
  star: { name: 'star (hub + leaves)', transport: 'websockets 127.0.0.1' }
}

async function runConfig (topology: Topology, n: number, opts: Options): Promise<ConfigResult> {
  const started = performance.now()
  const loadBefore = os.loadavg().map(x => Math.round(x * 100) / 100)
  const label = `${topology} N=${n}`
  log(`${label}: starting ${n} nodes (${TOPOLOGY_NAME[topology].name}, ${TOPOLOGY_NAME[topology].transport})…`)
  const swarm = await buildSwarm(topology, n)
  log(`${label}: connected in ${(swarm.setupMs / 1000).toFixed(1)} s; ${opts.warmup} warm-up + up to ${opts.rounds} measured round pairs`)
  const raw = new RawRounds(swarm, opts.rawBytes)
  const cons = new ConsensusRounds(swarm)
  const rawSamples: RawSample[] = []
  const consSamples: ConsensusSample[] = []
  const windows: Window[] = []
  try {
    const total = opts.warmup + opts.rounds
    let lastLine = performance.now()
    let measuringSince = Infinity
    for (let k = 0; k < total; k++) {
      const measured = k >= opts.warmup
      if (measured && measuringSince === Infinity) measuringSince = performance.now()
      const done = k - opts.warmup
      if (measured && done >= opts.minRounds && performance.now() - measuringSince > opts.budgetS * 1000) {
        log(`${label}: time budget of ${opts.budgetS} s spent after ${done} measured rounds; stopping here`)
        break
      }
      // the requester/originator rotates over every peer (index 0 is the hub in a star); both kinds
      // of a pair use the same one, and the order alternates so that drift hits both alike
      const originator = k % n
      const order: Kind[] = k % 2 === 0 ? ['raw', 'consensus'] : ['consensus', 'raw']
      for (const kind of order) {
        if (!opts.kinds.includes(kind)) continue
        const startUs = monoUs()
        const cpu = process.cpuUsage()
        let sample: RawSample | ConsensusSample
        const cpuMs = (): number => { const d = process.cpuUsage(cpu); return Math.round((d.user + d.system) / 100) / 10 }
        if (kind === 'raw') {
          const s = await raw.run(originator)
          sample = s
          s.cpuMs = cpuMs()
          if (measured) rawSamples.push(s)
          if (s.ms === null) log(`${label}: raw round ${k} failed: ${s.errors.join('; ')}`)
        } else {
          const s = await cons.run(originator)
          sample = s
          s.cpuMs = cpuMs()
          if (measured) consSamples.push(s)
          if (s.ms === null) log(`${label}: consensus round ${k} failed: ${s.errors.join('; ')}`)
        }
        if (measured) windows.push({ kind, startUs, endUs: monoUs() })
        sample.settle = await settle(swarm)
      }
      if (k + 1 < total && ((measured && (done + 1) % 5 === 0) || performance.now() - lastLine > 10_000)) {
        lastLine = performance.now()
        if (!measured) { log(`${label}: warm-up ${k + 1}/${opts.warmup}`); continue }
        const r = summarize(rawSamples.flatMap(s => s.ms ?? []))
        const c = summarize(consSamples.flatMap(s => s.ms ?? []))
        log(`${label}: ${done + 1}/${opts.rounds} rounds (p50 so far: raw ${r.p50 ?? '–'} ms, consensus ${c.p50 ?? '–'} ms)`)
      }
    }
  } finally {
    await stopAll(swarm.nodes)
  }
  const withTail = (s: RawSample | ConsensusSample): number[] => s.cpuMs === undefined || s.settle === undefined ? [] : [s.cpuMs + s.settle.cpuMs]
  const rawMs = rawSamples.flatMap(s => s.ms ?? [])
  const consMs = consSamples.flatMap(s => s.ms ?? [])
  const rawSummary = summarize(rawMs)
  const consSummary = summarize(consMs)
  const ratio = (a: number | null, b: number | null): number | null => a === null || b === null || b === 0 ? null : Math.round(a / b * 100) / 100
  const result: ConfigResult = {
    topology: TOPOLOGY_NAME[topology].name,
    transport: TOPOLOGY_NAME[topology].transport,
    n,
    setupMs: Math.round(swarm.setupMs),
    rounds: Math.max(rawSamples.length, consSamples.length),
    warmup: opts.warmup,
    loadAverage: { before: loadBefore, after: os.loadavg().map(x => Math.round(x * 100) / 100) },
    ratio: { p50: ratio(consSummary.p50, rawSummary.p50), p95: ratio(consSummary.p95, rawSummary.p95) },
    strayRawMessages: raw.stray,
    windows,
    wallMs: Math.round(performance.now() - started)
  }
  if (opts.kinds.includes('raw')) {
    result.raw = { summary: rawSummary, originatorAllReplies: summarize(rawSamples.flatMap(s => s.originatorAllRepliesMs ?? [])), cpuMs: summarize(rawSamples.flatMap(s => s.cpuMs ?? [])), cpuWithTailMs: summarize(rawSamples.flatMap(withTail)), failures: rawSamples.length - rawMs.length, samples: rawSamples }
  }
  if (opts.kinds.includes('consensus')) {
    result.consensus = {
      summary: consSummary,
      requester: summarize(consSamples.flatMap(s => s.requesterMs ?? [])),
      cpuMs: summarize(consSamples.flatMap(s => s.cpuMs ?? [])),
      cpuWithTailMs: summarize(consSamples.flatMap(withTail)),
      failures: consSamples.length - consMs.length,
      directFramesPerRound: consSamples.length === 0 ? 0 : Math.round(consSamples.reduce((a, s) => a + s.directFrames, 0) / consSamples.length * 10) / 10,
      samples: consSamples
    }
  }
  log(`${label}: done in ${(result.wallMs / 1000).toFixed(1)} s (load average ${result.loadAverage.after[0]}) — raw p50 ${rawSummary.p50 ?? '–'} ms, consensus p50 ${consSummary.p50 ?? '–'} ms, ratio ${result.ratio.p50 ?? '–'}`)
  return result
}

// ---- report -----------------------------------------------------------------------------------------

/** The commit measured, and whether the working tree differed from it (others edit src/ meanwhile). */
function gitRevision (): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'demo'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return dirty ? `${head} (src/ or demo/ modified)` : head
  } catch {
    return 'unknown'
  }
}

async function versionOf (pkg: string): Promise<string> {
  try {
    const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url)
    return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

const f = (x: number | null | undefined): string => x === null || x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1)
const times = (x: number | null | undefined): string => x === null || x === undefined ? '–' : `${x.toFixed(2)}×`

function table (results: ConfigResult[]): string {
  const head = ['topology', 'transport', 'N', 'rounds', 'raw p50', 'raw p95', 'consensus p50', 'consensus p95', 'ratio p50', 'ratio p95', 'failed']
  const rows = results.map(r => [
    r.topology, r.transport, String(r.n), String(r.rounds),
    f(r.raw?.summary.p50), f(r.raw?.summary.p95), f(r.consensus?.summary.p50), f(r.consensus?.summary.p95),
    times(r.ratio.p50), times(r.ratio.p95),
    `${r.raw?.failures ?? 0}/${r.consensus?.failures ?? 0}`
  ])
  return markdown(head, rows)
}

/**
 * Where the time goes: CPU during the round (≈ the latency when the round is CPU-bound) and CPU of
 * the round plus its tail (duplicates and surplus votes/acks still relayed after the end condition),
 * the originator's / requester's own latency, pull traffic, and the machine's load.
 */
function diagnostics (results: ConfigResult[]): string {
  const head = ['topology', 'N', 'CPU in round: raw / consensus / ratio', 'CPU incl. tail: raw / consensus / ratio', 'originator has N−1 replies', 'requester decided', 'pull frames / round', 'load avg']
  const ratioOf = (a: number | null | undefined, b: number | null | undefined): string => times(a == null || b == null || b === 0 ? null : a / b)
  const rows = results.map(r => {
    const [rawCpu, consCpu] = [r.raw?.cpuMs.p50, r.consensus?.cpuMs.p50]
    const [rawAll, consAll] = [r.raw?.cpuWithTailMs.p50, r.consensus?.cpuWithTailMs.p50]
    return [
      r.topology, String(r.n), `${f(rawCpu)} / ${f(consCpu)} / ${ratioOf(consCpu, rawCpu)}`, `${f(rawAll)} / ${f(consAll)} / ${ratioOf(consAll, rawAll)}`,
      f(r.raw?.originatorAllReplies.p50), f(r.consensus?.requester.p50), String(r.consensus?.directFramesPerRound ?? '–'),
      `${r.loadAverage.before[0]} → ${r.loadAverage.after[0]}`
    ]
  })
  return markdown(head, rows, 1)
}

function markdown (head: string[], rows: string[][], left = 2): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(row => (row[i] as string).length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => i < left ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)).join(' | ')} |`
  return [line(head), `|${widths.map((w, i) => i < left ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`).join('|')}|`, ...rows.map(line)].join('\n')
}

async function main (): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  const cpus = os.cpus()
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10
  }
  const versions = Object.fromEntries(await Promise.all(['libp2p', '@libp2p/gossipsub', '@libp2p/memory', '@libp2p/websockets', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/crypto']
    .map(async p => [p, await versionOf(p)] as const)))
  log(`machine: ${machine.cpu} × ${machine.cores} cores, Node ${machine.node}, ${machine.os}; load average ${os.loadavg()[0]?.toFixed(2)} (other processes share these cores)`)
  log(`sizes ${opts.sizes.join(',')}; topologies ${opts.topologies.join(',')}; ${opts.warmup} warm-up + ${opts.minRounds}–${opts.rounds} measured rounds (${opts.budgetS} s budget) of ${opts.kinds.join(' + ')} each`)

  const revision = gitRevision()
  log(`measuring libp2p-consensus at ${revision}`)
  const results: ConfigResult[] = []
  for (const n of opts.sizes) {
    for (const topology of opts.topologies) {
      results.push(await runConfig(topology, n, opts))
    }
  }

  const report = {
    generatedAt: new Date().toISOString(),
    command: `tsx bench/latency.ts ${process.argv.slice(2).join(' ')}`.trim(),
    revision,
    machine,
    versions,
    endConditions: {
      raw: 'from the originator\'s publish until every node has received the originator\'s message and the replies of all N−1 other nodes (a node\'s own publish counts as seen); every non-originator publishes its reply on receipt of the originator\'s message',
      consensus: 'from the requester calling requestConsensus until every one of the N peers (requester included) has emitted its \'decision\' event for that proposal',
      ratio: 'consensus percentile / raw percentile of the same size and topology (same nodes, interleaved rounds)'
    },
    settings: { ...opts, algorithm: 'quorum (threshold 0.5)', voter: 'every peer auto-votes for', participants: 'all N peer ids, explicitly', proposalTimeoutMs: PROPOSAL_TIMEOUT_MS, roundTimeoutMs: ROUND_TIMEOUT_MS, rawTopic: RAW_TOPIC, rawMessageBytes: opts.rawBytes },
    results
  }
  const out = opts.out
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, JSON.stringify(report, null, 2) + '\n')

  console.log('')
  console.log(`Decision latency, ms — ${machine.cpu} × ${machine.cores} cores, Node ${machine.node}, ${machine.os}`)
  console.log(`libp2p-consensus ${revision}, libp2p ${versions.libp2p}, @libp2p/gossipsub ${versions['@libp2p/gossipsub']}; all N nodes in one process`)
  console.log(table(results))
  console.log('raw = publish → every node has the publish and all N−1 replies; consensus = requestConsensus → every peer emitted \'decision\'; failed = raw/consensus rounds that timed out')
  console.log('')
  console.log('Diagnostics, p50 ms (CPU = this process, user + system, all threads, per round; tail = until the swarm is quiet again)')
  console.log(diagnostics(results))
  console.log(`samples and more figures: ${out}  (total ${elapsed()})`)
}

// stray timers in a dependency must not keep a finished benchmark alive: say so, then leave
const watchdog = (): void => {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? []
    console.error(`note: still ${handles.length} active handles 5 s after the last node stopped (${handles.map(h => (h as object)?.constructor?.name).join(", ")}); exiting`)
    process.exit(process.exitCode ?? 0)
  }, 5_000).unref()
}

main().then(watchdog, (err) => {
  console.error(err)
  process.exitCode = 1
  watchdog()
})
