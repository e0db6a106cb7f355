/**
 * `npm start`: two linked hubs and three named Node agents on loopback websockets, and the demo page served by
 * Vite's dev server, which tells the page where the hub is (`/hub.json`). Prints the URLs and every
 * decision the hub sees. Ctrl-C (or SIGTERM) stops everything. No prompts: it runs unattended.
 */
import { fileURLToPath } from 'node:url'
import { createServer, type Plugin } from 'vite'
import { startLiveSwarm, type LiveSwarm } from './live-swarm.js'

const tty = process.stdout.isTTY
const paint = (code: number) => (s: string): string => tty ? `\x1b[${code}m${s}\x1b[0m` : s
const bold = paint(1)
const dim = paint(2)
const cyan = paint(36)
const colour = (decision: string): string => paint(decision === 'approved' ? 32 : decision === 'rejected' ? 31 : 33)(decision.toUpperCase())

/** Serves what the page needs to join the live swarm. */
function hubJson (swarm: LiveSwarm): Plugin {
  return {
    name: 'libp2p-consensus-hub-json',
    configureServer (server) {
      server.middlewares.use('/hub.json', (_req, res) => {
        res.setHeader('content-type', 'application/json')
        res.setHeader('cache-control', 'no-store')
        res.end(JSON.stringify(swarm.info))
      })
    }
  }
}

async function main (): Promise<void> {
  const swarm = await startLiveSwarm()
  const server = await createServer({
    configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
    plugins: [hubJson(swarm)],
    // a reload would make each open tab a new agent mid-vote: no hot reload here
    // (hack on the page with `npx vite --config demo/vite.config.ts` instead)
    server: { hmr: false },
    clearScreen: false
  })
  await server.listen()
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${server.config.server.port ?? 5173}/`

  console.log(bold('\nlibp2p-consensus demo\n'))
  console.log(`  simulation   ${cyan(url)}`)
  console.log(`  live swarm   ${cyan(`${url}#live`)}   ${dim('(open it in several tabs)')}`)
  for (const [i, hub] of swarm.info.hubs.entries()) console.log(`  hub ${i + 1}        ${hub}`)
  console.log(`  built page   ${dim(`npm run demo:build, serve demo/dist, open it with ?hub=${swarm.info.hubs.map(encodeURIComponent).join(',')}#live`)}`)
  for (const agent of swarm.info.agents) console.log(`  Node agent   ${agent.name.padEnd(9)} ${dim(agent.opinion)}  ${dim(agent.peerId)}`)
  console.log(dim('\nCtrl-C stops the page, the hub and the agents.\n'))

  const first = swarm.hubs[0]
  for (const [i, hub] of swarm.hubs.entries()) {
    hub.addEventListener('agent:join', (evt) => { console.log(dim(`  + hub ${i + 1}: agent ${evt.detail.peerId} (${evt.detail.agents} on the topic)`)) })
    hub.addEventListener('agent:leave', (evt) => { console.log(dim(`  - hub ${i + 1}: agent ${evt.detail.peerId} (${evt.detail.agents} on the topic)`)) })
  }
  // every hub sees every decision: print the first hub's
  first?.addEventListener('decision', (evt) => {
    const r = evt.detail
    const counted = r.choices === undefined
      ? `${r.votesFor} for, ${r.votesAgainst} against, ${r.votesAbstain} abstain`
      : `winner ${r.winner === null || r.winner === undefined ? 'none' : r.choices[r.winner - 1] ?? r.winner}, ${r.votesFor} ballots, ${r.votesAbstain} abstain`
    console.log(`  ${colour(r.decision)} ${r.algorithmUsed}: ${counted} ` +
      `of ${r.participants.length} in ${r.durationMs} ms  ${dim(`certificate ${r.certificate?.id ?? 'none'}`)}`)
  })

  let stopping = false
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    console.log(dim(`\n${signal}: stopping…`))
    // a hung shutdown must not keep the terminal
    setTimeout(() => process.exit(0), 5_000).unref()
    await Promise.allSettled([server.close(), swarm.stop()])
    process.exit(0)
  }
  process.on('SIGINT', () => { void stop('SIGINT') })
  process.on('SIGTERM', () => { void stop('SIGTERM') })
}

await main()
