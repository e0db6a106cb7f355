/**
 * Section 5b of `npm run bench`: the demo page's simulation, 300 agents at "fast". The page is built
 * (into test-results/bench-demo-dist), served, and driven in headless Chromium (test/browser/chromium.ts
 * says which): Propose at the page's default settings (quorum > 50 %, 65 % in favour, 5 % loss, 30–150 ms
 * latency, 3 s deadline), and the wall time from the click to the requester's decision is read off the
 * page (`#sim-progress`, which the page fills from `performance.now()`), three times, each in a browser
 * of its own (the median counts; on 2 shared cores one run can differ from the next by a third). Then,
 * measured in the same run: the same swarm in Node, `SimulatedSwarm` alone (no page, no worker, no
 * drawing) — the core's floor on this machine; after the page, so that its heap is not being collected
 * while the browser runs. Alone too: `npx tsx bench/demo-sim.ts [--demo-agents 300] [--demo-runs 3]`.
 */
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright'
import { build, preview } from 'vite'
import { VoteType } from '../src/index.js'
import { SeededRandom, SimulatedSwarm } from '../src/testing/index.js'
import { chromiumLaunchOptions } from '../test/browser/chromium.js'
import { exitSoon, isMain, log, n0, parseFlags } from './util.js'

/** What section 5b reports. */
export interface DemoSimReport {
  agents: number
  /** headless Chromium: Propose clicked until the requester's decision, ms of wall time (the median of the runs) */
  pageDecisionMs: number
  /** every run's, in the order measured */
  pageDecisionRunsMs: number[]
  /** headless Chromium: until every agent decided (the median) */
  pageSettledMs: number
  /** virtual time of the decision, as the page shows it */
  pageVirtual: string
  /** Node, SimulatedSwarm alone at the same settings: request until the requester's result */
  nodeDecisionMs: number
  nodeCpuMs: number
  nodeDeliveries: number
  goalMs: number
  met: boolean
}

const configFile = fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url))
const outDir = fileURLToPath(new URL('../test-results/bench-demo-dist', import.meta.url))

/** The core alone, at the page's default settings (its crowd votes for with 65 %, else mostly against). */
async function nodeFloor (agents: number): Promise<{ decisionMs: number, cpuMs: number, deliveries: number }> {
  const vote = (index: number, proposal: { id: string }): VoteType => {
    const r = new SeededRandom(31 + index * 2_654_435 + parseInt(proposal.id.slice(0, 8), 16)).next()
    return r < 0.65 ? VoteType.For : r < 0.72 ? VoteType.Abstain : VoteType.Against
  }
  const swarm = await SimulatedSwarm.create({ agents, seed: 1, loss: 0.05, latencyMs: [30, 150], vote, persistent: (i) => i === 0 })
  const t = performance.now()
  const cpu = process.cpuUsage()
  await swarm.request(0, { action: 'deploy', version: 'v2.0' }, { algorithm: 'quorum', timeoutMs: 3_000 })
  const decisionMs = performance.now() - t
  const used = process.cpuUsage(cpu)
  const deliveries = swarm.network.counters.delivered
  await swarm.stop()
  return { decisionMs, cpuMs: (used.user + used.system) / 1000, deliveries }
}

interface PageRun { decisionMs: number, settledMs: number, virtual: string }

/** The built page in headless Chromium: one proposal of `agents` at "fast", `runs` times, each in a fresh browser. */
async function inChromium (agents: number, runs: number): Promise<PageRun[]> {
  await build({ configFile, logLevel: 'error', mode: 'production', build: { outDir, emptyOutDir: true } })
  const server = await preview({ configFile, logLevel: 'error', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
  try {
    const measured: PageRun[] = []
    for (let run = 0; run < runs; run++) {
      const one = await pageRun(server.resolvedUrls?.local[0] ?? '', agents)
      log(`demo simulation: the page in headless Chromium, run ${run + 1}/${runs}: decision after ${n0(one.decisionMs)} ms of wall time`)
      measured.push(one)
    }
    return measured
  } finally {
    await server.close()
  }
}

async function pageRun (url: string, agents: number): Promise<PageRun> {
  const browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(`${url}?agents=${agents}&autoplay=0#sim`)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 120_000 })
    await page.click('#sim-speed button[data-pace="1000"]')
    await page.click('#sim-propose')
    await page.locator('#sim-progress[data-state="done"]').waitFor({ timeout: 600_000 })
    const progress = page.locator('#sim-progress')
    const virtual = /decided at (.*?) of virtual time/.exec((await progress.textContent()) ?? '')?.[1] ?? '?'
    return { decisionMs: Number(await progress.getAttribute('data-wall-ms')), settledMs: Number(await progress.getAttribute('data-settled-ms')), virtual }
  } finally {
    await browser.close()
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] as number

/** Section 5b. */
export async function runDemoSim (agents = 300, runs = 3): Promise<DemoSimReport> {
  const pages = await inChromium(agents, runs)
  const decisions = pages.map(p => p.decisionMs)
  const page = { decisionMs: median(decisions), settledMs: median(pages.map(p => p.settledMs)), virtual: pages[0]?.virtual ?? '?' }
  log(`demo simulation: the page in headless Chromium, ${agents} agents at "fast": decision after ${n0(page.decisionMs)} ms of wall time ` +
    `(median of ${runs}: ${decisions.map(n0).join(', ')}; at ${page.virtual} of virtual time), every agent decided after ${n0(page.settledMs)} ms`)
  const floor = await nodeFloor(agents)
  log(`demo simulation: core alone in Node, ${agents} agents: decision after ${n0(floor.decisionMs)} ms ` +
    `(CPU ${n0(floor.cpuMs)} ms, ${n0(floor.deliveries)} deliveries)`)
  const goalMs = 3_000
  return {
    agents,
    pageDecisionMs: page.decisionMs,
    pageDecisionRunsMs: decisions,
    pageSettledMs: page.settledMs,
    pageVirtual: page.virtual,
    nodeDecisionMs: Math.round(floor.decisionMs),
    nodeCpuMs: Math.round(floor.cpuMs),
    nodeDeliveries: floor.deliveries,
    goalMs,
    met: page.decisionMs <= goalMs
  }
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2))
  runDemoSim(Number(flags.get('--demo-agents') ?? 300), Number(flags.get('--demo-runs') ?? 3))
    .then(r => { console.log(JSON.stringify(r, null, 2)); exitSoon() }, (err) => { console.error(err); process.exitCode = 1 })
}
