/**
 * Section 1 of `npm run bench`: consensus decision latency against a raw gossipsub round on the same
 * libp2p nodes, in the same run, so that the overhead is a ratio rather than an absolute that depends
 * on the machine. See bench/README.md for what is measured and why. Runs alone too:
 * `npx tsx bench/latency.ts [flags]`.
 *
 * Flags (all optional):
 *   --sizes 10,25,50       swarm sizes N
 *   --topologies mesh,star,mesh-latency
 *                          mesh = full mesh over the memory transport; star = websockets hub on 127.0.0.1;
 *                          mesh-latency = the full mesh with a one-way delay on every link (withLinkLatency in
 *                          latency-rounds.ts), so that the ratio counts message delays more than this process's CPU
 *   --link-latency-ms 20   mesh-latency: the delay of every link, each way
 *   --latency-preset leaf  mesh-latency: gossipsub preset of its nodes (leaf forwards to D = 6 peers, not all:
 *                          less duplicate CPU; every message still reaches every peer in one hop, by flood publish)
 *   --mesh-max 25          no full mesh (with or without latency) above this N (a 50-peer mesh in one process is ~50³ transmissions a round)
 *   --mesh-preset hub      gossipsub preset of every full-mesh node: hub (each forwards to all others, flood-like)
 *                          or leaf (gossipsub's default mesh degree, D = 6, Dhi = 12: what a peer-to-peer swarm runs)
 *   --rounds 12            measured round pairs per size and topology (one raw + one consensus each)…
 *   --budget 25            …but stop after this many seconds of measuring, once --min-rounds are done
 *   --min-rounds 6
 *   --warmup 2             unmeasured round pairs first
 *   --kinds raw,consensus  which rounds to run (e.g. only consensus when profiling)
 *   --raw-bytes 12         size of each raw message (padding after the 12-byte header)
 *   --out bench/latency-results.json   (alone only; bench/index.ts writes bench/results.json)
 */
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname } from 'node:path'
import { performance } from 'node:perf_hooks'
import { stopAll } from '../test/helpers/libp2p-nodes.js'
import {
  buildSwarm, ConsensusRounds, PROPOSAL_TIMEOUT_MS, RAW_TOPIC, RawRounds, ROUND_TIMEOUT_MS, settle,
  type ConsensusSample, type Kind, type RawSample, type Topology
} from './latency-rounds.js'
import { exitSoon, f, gitRevision, isMain, log, machineInfo, markdown, monoUs, summarize, times, versionOf, type Summary } from './util.js'

// ---- options --------------------------------------------------------------------------------------

export interface Options {
  sizes: number[]
  topologies: Topology[]
  /** the largest full mesh to build (a 50-peer full mesh in one process costs ~50³ transmissions a round) */
  meshMax: number
  /** gossipsub preset of every node of a full mesh */
  meshPreset: 'hub' | 'leaf'
  /** mesh-latency: ms of delay on every link, each way */
  linkLatencyMs: number
  /** mesh-latency: gossipsub preset of its nodes */
  latencyPreset: 'hub' | 'leaf'
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

export const LATENCY_USAGE = '[--sizes 10,25,50] [--topologies mesh,star,mesh-latency] [--mesh-max 25] [--mesh-preset hub|leaf] ' +
  '[--link-latency-ms 20] [--latency-preset leaf|hub] ' +
  '[--rounds 12] [--min-rounds 6] [--budget 25] [--warmup 2] [--kinds raw,consensus] [--raw-bytes 12] [--out bench/latency-results.json]'

/** Latency options from `--flag value` pairs (see the file header). */
export function latencyOptions (flags: Map<string, string>): Options {
  const opts: Options = {
    sizes: [10, 25, 50],
    topologies: ['mesh', 'star', 'mesh-latency'],
    meshMax: 25,
    meshPreset: 'hub',
    linkLatencyMs: 20,
    latencyPreset: 'leaf',
    rounds: 12,
    minRounds: 6,
    budgetS: 25,
    warmup: 2,
    kinds: ['raw', 'consensus'],
    rawBytes: 12,
    out: 'bench/latency-results.json'
  }
  const list = (v: string): string[] => v.split(',').map(x => x.trim()).filter(x => x.length > 0)
  const int = (flag: string, v: string, min: number): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}`)
    return n
  }
  for (const [flag, v] of flags) {
    switch (flag) {
      case '--sizes': opts.sizes = list(v).map(Number); break
      case '--topologies': opts.topologies = list(v) as Topology[]; break
      case '--kinds': opts.kinds = list(v) as Kind[]; break
      case '--mesh-max': opts.meshMax = int(flag, v, 3); break
      case '--mesh-preset': opts.meshPreset = v as Options['meshPreset']; break
      case '--link-latency-ms': opts.linkLatencyMs = int(flag, v, 1); break
      case '--latency-preset': opts.latencyPreset = v as Options['latencyPreset']; break
      case '--rounds': opts.rounds = int(flag, v, 1); break
      case '--min-rounds': opts.minRounds = int(flag, v, 1); break
      case '--budget': opts.budgetS = int(flag, v, 1); break
      case '--warmup': opts.warmup = int(flag, v, 0); break
      case '--raw-bytes': opts.rawBytes = int(flag, v, 12); break
      case '--out': opts.out = v; break
      default: break
    }
  }
  opts.minRounds = Math.min(opts.minRounds, opts.rounds)
  if (opts.sizes.some(n => !Number.isInteger(n) || n < 3 || n > 200)) throw new Error('--sizes: integers from 3 to 200')
  if (opts.topologies.some(t => !(t in TOPOLOGY_NAME))) throw new Error('--topologies: mesh, star and/or mesh-latency')
  if (opts.meshPreset !== 'hub' && opts.meshPreset !== 'leaf') throw new Error('--mesh-preset: hub or leaf')
  if (opts.latencyPreset !== 'hub' && opts.latencyPreset !== 'leaf') throw new Error('--latency-preset: hub or leaf')
  if (opts.kinds.length === 0 || opts.kinds.some(k => k !== 'raw' && k !== 'consensus')) throw new Error('--kinds: raw and/or consensus')
  return opts
}

// ---- one size × topology ----------------------------------------------------------------------------

interface Window { kind: Kind, startUs: number, endUs: number }

/** What one size × topology measured, as written to the results file. */
export interface ConfigResult {
  /** which topology was built; `topology` is its name in the tables */
  kind: Topology
  topology: string
  /** mesh-latency only: the one-way delay of every link */
  linkLatencyMs?: number
  transport: string
  n: number
  setupMs: number
  rounds: number
  warmup: number
  /** os.loadavg() (1, 5, 15 min) when the configuration started and ended: other processes share the cores */
  loadAverage: { before: number[], after: number[] }
  raw?: { summary: Summary, originatorAllReplies: Summary, cpuMs: Summary, cpuWithTailMs: Summary, failures: number, samples: RawSample[] }
  consensus?: {
    summary: Summary
    requester: Summary
    cpuMs: Summary
    cpuWithTailMs: Summary
    failures: number
    directFramesPerRound: number
    samples: ConsensusSample[]
  }
  ratio: { p50: number | null, p95: number | null }
  strayRawMessages: number
  /** monotonic µs windows of the measured rounds, to slice a --cpu-prof profile (bench/profile-summary.ts) */
  windows: Window[]
  wallMs: number
}

const TOPOLOGY_NAME: Record<Topology, { name: string, transport: string }> = {
  mesh: { name: 'full mesh', transport: 'memory' },
  'mesh-latency': { name: 'full mesh, link latency', transport: 'memory, delayed links' },
  star: { name: 'star (hub + leaves)', transport: 'websockets 127.0.0.1' }
}

/** The name a configuration gets in the tables. */
function topologyLabel (topology: Topology, opts: Options): string {
  if (topology === 'mesh-latency') return `full mesh, ${opts.linkLatencyMs} ms links, ${opts.latencyPreset} preset`
  return topology === 'mesh' && opts.meshPreset === 'leaf' ? 'full mesh, leaf preset' : TOPOLOGY_NAME[topology].name
}

async function runConfig (topology: Topology, n: number, opts: Options): Promise<ConfigResult> {
  const started = performance.now()
  const loadBefore = os.loadavg().map(x => Math.round(x * 100) / 100)
  const label = `${topology} N=${n}`
  log(`${label}: starting ${n} nodes (${TOPOLOGY_NAME[topology].name}, ${TOPOLOGY_NAME[topology].transport})…`)
  const preset = topology === 'mesh-latency' ? opts.latencyPreset : opts.meshPreset
  const swarm = await buildSwarm(topology, n, preset, opts.linkLatencyMs)
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
    kind: topology,
    topology: topologyLabel(topology, opts),
    ...(topology === 'mesh-latency' ? { linkLatencyMs: opts.linkLatencyMs } : {}),
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
    result.raw = {
      summary: rawSummary,
      originatorAllReplies: summarize(rawSamples.flatMap(s => s.originatorAllRepliesMs ?? [])),
      cpuMs: summarize(rawSamples.flatMap(s => s.cpuMs ?? [])),
      cpuWithTailMs: summarize(rawSamples.flatMap(withTail)),
      failures: rawSamples.length - rawMs.length,
      samples: rawSamples
    }
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
  log(`${label}: done in ${(result.wallMs / 1000).toFixed(1)} s (load average ${result.loadAverage.after[0]}) — ` +
    `raw p50 ${rawSummary.p50 ?? '–'} ms, consensus p50 ${consSummary.p50 ?? '–'} ms, ratio ${result.ratio.p50 ?? '–'}`)
  return result
}

// ---- report -----------------------------------------------------------------------------------------

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
  const head = [
    'topology', 'N', 'CPU in round: raw / consensus / ratio', 'CPU incl. tail: raw / consensus / ratio',
    'originator has N−1 replies', 'requester decided', 'pull frames / round', 'load avg'
  ]
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

/** Everything section 1 measured, as written to the results file. */
export interface LatencyReport {
  command: string
  endConditions: Record<string, string>
  settings: Record<string, unknown>
  versions: Record<string, string>
  results: ConfigResult[]
  skipped: string[]
  table: string
  diagnostics: string
}

/** Section 1: decision latency beside a raw gossipsub round, per size and topology. */
export async function runLatency (opts: Options): Promise<LatencyReport> {
  const packages = [
    'libp2p', '@libp2p/gossipsub', '@libp2p/memory', '@libp2p/websockets', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/crypto'
  ]
  const versions = Object.fromEntries(await Promise.all(packages.map(async p => [p, await versionOf(p)] as const)))
  log(`latency: sizes ${opts.sizes.join(',')}; topologies ${opts.topologies.join(',')} (full mesh up to N = ${opts.meshMax}); ` +
    `${opts.warmup} warm-up + ${opts.minRounds}–${opts.rounds} measured rounds (${opts.budgetS} s budget) of ${opts.kinds.join(' + ')} each`)
  const results: ConfigResult[] = []
  const skipped: string[] = []
  for (const n of opts.sizes) {
    for (const topology of opts.topologies) {
      if (topology !== 'star' && n > opts.meshMax) {
        skipped.push(`${topologyLabel(topology, opts)}, N = ${n} (above --mesh-max ${opts.meshMax}: ~N³ transmissions a round in one process)`)
        continue
      }
      results.push(await runConfig(topology, n, opts))
    }
  }
  return {
    command: `tsx bench/latency.ts ${process.argv.slice(2).join(' ')}`.trim(),
    endConditions: {
      raw: 'from the originator\'s publish until every node has received the originator\'s message and the replies of all N−1 other nodes ' +
        '(a node\'s own publish counts as seen); every non-originator publishes its reply on receipt of the originator\'s message',
      consensus: 'from the requester calling requestConsensus until every one of the N peers (requester included) ' +
        'has emitted its \'decision\' event for that proposal',
      ratio: 'consensus percentile / raw percentile of the same size and topology (same nodes, interleaved rounds)'
    },
    settings: {
      ...opts,
      algorithm: 'quorum (threshold 0.5)',
      voter: 'every peer auto-votes for',
      participants: 'all N peer ids, explicitly',
      proposalTimeoutMs: PROPOSAL_TIMEOUT_MS,
      roundTimeoutMs: ROUND_TIMEOUT_MS,
      rawTopic: RAW_TOPIC,
      rawMessageBytes: opts.rawBytes,
      linkModel: 'mesh-latency: every buffer a connection sends is delivered linkLatencyMs later, in order, however many are in flight ' +
        '(no bandwidth limit); @libp2p/memory\'s own latency option would deliver one buffer per linkLatencyMs per direction'
    },
    versions,
    results,
    skipped,
    table: table(results),
    diagnostics: diagnostics(results)
  }
}

async function main (): Promise<void> {
  const flags = new Map<string, string>()
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined]
    if (flag === '--help' || flag === '-h') {
      console.log(`usage: tsx bench/latency.ts ${LATENCY_USAGE}`)
      return
    }
    flags.set(flag, inline ?? argv[++i] ?? '')
  }
  const opts = latencyOptions(flags)
  const machine = machineInfo()
  const revision = gitRevision()
  log(`machine: ${machine.cpu} × ${machine.cores} cores, Node ${machine.node}, ${machine.os}; ` +
    `load average ${machine.loadAverage[0]} (other processes share these cores); libp2p-consensus at ${revision}`)
  const report = await runLatency(opts)
  await mkdir(dirname(opts.out), { recursive: true })
  await writeFile(opts.out, JSON.stringify({ generatedAt: new Date().toISOString(), revision, machine, ...report }, null, 2) + '\n')
  console.log('')
  console.log(`Decision latency, ms — ${machine.cpu} × ${machine.cores} cores, Node ${machine.node}; ` +
    `libp2p-consensus ${revision}, libp2p ${report.versions.libp2p}; all N nodes in one process`)
  console.log(report.table)
  for (const line of report.skipped) console.log(`skipped: ${line}`)
  console.log('')
  console.log('Diagnostics, p50 ms (CPU = this process, user + system, all threads, per round; tail = until the swarm is quiet again)')
  console.log(report.diagnostics)
  console.log(`samples and more figures: ${opts.out}`)
}

if (isMain(import.meta.url)) {
  main().then(exitSoon, (err) => {
    console.error(err)
    process.exitCode = 1
    exitSoon()
  })
}
