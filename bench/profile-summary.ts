/**
 * Summarise a V8 `.cpuprofile` from a benchmark run:
 *
 *   npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/latency.ts --sizes 10 --out /tmp/prof/results.json
 *   npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile --results /tmp/prof/results.json [--kind consensus] [--top 25]
 *
 * With `--results`, only samples inside the measured rounds of `--kind` (the monotonic windows
 * latency.ts records) are counted, per topology and size, so node start-up and handshakes do not
 * drown the rounds. Prints self time by area (our src/ code, crypto, CBOR, gossipsub, muxer and
 * encryption, libp2p, Node internals, GC, idle) and the top functions by self time, plus the
 * inclusive time of our own functions.
 */
import { readFile } from 'node:fs/promises'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface Profile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }
interface Window { kind: string, startUs: number, endUs: number }
interface Results { results: Array<{ topology: string, n: number, windows: Window[] }> }

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const profilePath = args.find(a => a.endsWith('.cpuprofile'))
if (profilePath === undefined) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--results results.json] [--kind consensus|raw] [--top 25]')
  process.exit(2)
}
const kind = flag('--kind') ?? 'consensus'
const top = Number(flag('--top') ?? 25)
const resultsPath = flag('--results')

const profile = JSON.parse(await readFile(profilePath, 'utf8')) as Profile
const results = resultsPath === undefined ? undefined : JSON.parse(await readFile(resultsPath, 'utf8')) as Results

const byId = new Map<number, ProfileNode>()
const parent = new Map<number, number>()
for (const node of profile.nodes) {
  byId.set(node.id, node)
  for (const child of node.children ?? []) parent.set(child, node.id)
}

const YAMUX_NOISE = ['@chainsafe/libp2p-yamux', '@chainsafe/libp2p-noise', '@chainsafe/as-chacha20poly1305', '@noble/ciphers', '@chainsafe/as-sha256']
const ENCODING_UTILS = ['protons-runtime', 'uint8arraylist', 'uint8arrays', 'multiformats', '@multiformats/multiaddr']
const LIBP2P_OTHER = ['libp2p', 'main-event', 'p-queue', 'race-signal']

/** Which part of the stack a frame belongs to. */
function area (frame: CallFrame): string {
  const { url, functionName } = frame
  if (functionName === '(idle)') return 'idle'
  if (functionName === '(garbage collector)') return 'GC'
  if (functionName === '(program)' || functionName === '(root)') return 'V8 / native (program)'
  if (url === '') return 'native (no URL)'
  // the only wasm in this stack: noise's ChaCha20-Poly1305 and SHA-256 (@chainsafe/as-*)
  if (url.startsWith('wasm://')) return 'yamux + noise'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm < 0) {
    if (url.startsWith('node:')) return /crypto/.test(url) ? 'crypto (node:crypto)' : 'Node internals'
    if (url.includes('/src/')) return 'ours: src/'
    if (url.includes('/bench/') || url.includes('/demo/')) return 'bench/demo harness'
    return 'other'
  }
  const pkg = url.slice(nm + '/node_modules/'.length).split('/').slice(0, url.slice(nm + 14).startsWith('@') ? 2 : 1).join('/')
  if (/^@noble\/(curves|ed25519|hashes)/.test(pkg) || pkg === '@libp2p/crypto') return 'crypto (@noble, @libp2p/crypto)'
  if (pkg === 'cborg' || pkg === '@ipld/dag-cbor') return 'CBOR (cborg)'
  if (pkg === '@libp2p/gossipsub') return 'gossipsub'
  if (YAMUX_NOISE.includes(pkg)) return 'yamux + noise'
  if (ENCODING_UTILS.includes(pkg)) return 'encoding utils (protons, uint8arrays, multiformats)'
  if (pkg.startsWith('@libp2p/') || pkg.startsWith('it-') || LIBP2P_OTHER.includes(pkg)) return 'libp2p (other)'
  if (pkg === 'ws') return 'websockets (ws)'
  if (pkg === 'tsx' || pkg === 'esbuild') return 'tsx loader'
  return `other: ${pkg}`
}

function label (frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '')
  const nm = url.lastIndexOf('/node_modules/')
  const short = nm >= 0 ? url.slice(nm + 14) : url.replace(/^.*\/(src|bench|demo)\//, '$1/')
  // lines are only meaningful for plain JS: tsx-compiled sources report positions in the compiled text
  const where = short === '' ? '' : nm >= 0 || url.startsWith('node:') ? `${short}:${frame.lineNumber + 1}` : short
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${where}`.trim()
}

function summarize (title: string, inWindow: (t: number) => boolean): void {
  const self = new Map<number, number>()
  const inclusiveOurs = new Map<string, number>()
  let total = 0
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    if (!inWindow(t)) continue
    // a sample's weight is the gap to the next one
    const dt = profile.timeDeltas[i + 1] ?? 0
    const id = profile.samples[i] as number
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = (byId.get(n) as ProfileNode).callFrame
      if (area(frame) !== 'ours: src/') continue
      const key = label(frame)
      if (seen.has(key)) continue
      seen.add(key)
      inclusiveOurs.set(key, (inclusiveOurs.get(key) ?? 0) + dt)
    }
  }
  if (total === 0) {
    console.log(`\n## ${title}: no samples`)
    return
  }
  const byArea = new Map<string, number>()
  const byFunction = new Map<string, { us: number, area: string }>()
  for (const [id, us] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame
    const a = area(frame)
    byArea.set(a, (byArea.get(a) ?? 0) + us)
    const key = label(frame)
    const entry = byFunction.get(key) ?? { us: 0, area: a }
    entry.us += us
    byFunction.set(key, entry)
  }
  const pct = (us: number): string => `${(100 * us / total).toFixed(1).padStart(5)} %`
  const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(6)} ms`
  console.log(`\n## ${title}: ${(total / 1000).toFixed(0)} ms of samples`)
  console.log('\nself time by area')
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(us)} ${ms(us)}  ${a}`)
  const busy = total - (byArea.get('idle') ?? 0)
  console.log(`  (busy, i.e. not idle: ${pct(busy)})`)
  console.log(`\ntop ${top} functions by self time`)
  for (const [key, { us, area: a }] of [...byFunction].sort((x, y) => y[1].us - x[1].us).slice(0, top)) console.log(`  ${pct(us)} ${ms(us)}  ${key}  [${a}]`)
  console.log(`\nour functions by inclusive time (top ${Math.min(top, 15)})`)
  for (const [key, us] of [...inclusiveOurs].sort((x, y) => y[1] - x[1]).slice(0, Math.min(top, 15))) console.log(`  ${pct(us)} ${ms(us)}  ${key}`)
}

if (results === undefined) {
  summarize('whole profile', () => true)
} else {
  for (const r of results.results) {
    const windows = r.windows.filter(w => w.kind === kind)
    summarize(`${r.topology} N=${r.n}, ${windows.length} measured ${kind} rounds`, t => windows.some(w => t >= w.startUs && t <= w.endUs))
  }
}
