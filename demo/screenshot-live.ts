/**
 * Regenerates demo/screenshot-live.png for the README: builds the page, serves the build, starts the
 * live swarm of `npm start` (two linked hubs, three named Node agents), lets a tab named "alice"
 * decide two proposals (so the history has something to show), then shoots the page at 1400×900 while
 * the optimist's proposal is open: the notice, the card with its buttons, the Node agents' votes in.
 * Usage: `npx tsx demo/screenshot-live.ts` (the browser: see test/browser/chromium.ts).
 */
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright'
import { build, preview } from 'vite'
import { chromiumLaunchOptions } from '../test/browser/chromium.js'
import { startLiveSwarm } from './live-swarm.js'

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url))
const out = fileURLToPath(new URL('./screenshot-live.png', import.meta.url))

/** Propose from the tab, vote, and wait for the decision. */
async function decide (page: Page, title: string, fill: () => Promise<void>, vote: string): Promise<void> {
  await page.fill('#live-title', title)
  await fill()
  await page.fill('#live-timeout', '4')
  await page.click('#live-propose-button')
  const card = page.locator('#live-open .proposal').first()
  await card.waitFor()
  const id = await card.getAttribute('data-proposal')
  await card.locator(vote).click()
  await page.locator(`#live-decisions li[data-proposal="${id ?? ''}"]`).waitFor({ timeout: 20_000 })
}

await build({ configFile, logLevel: 'warn', mode: 'production' })
const server = await preview({ configFile, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1' } })
const swarm = await startLiveSwarm({ thinkMs: 2500 })
const browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' })
  await page.addInitScript(() => { localStorage.setItem('libp2p-consensus-demo:name', 'alice') })
  await page.goto(`${server.resolvedUrls?.local[0] ?? ''}?hub=${swarm.info.hubs.map(encodeURIComponent).join(',')}#live`)
  await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
  for (const agent of swarm.agents) await page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"]`).waitFor({ timeout: 20_000 })
  await decide(page, 'Adopt the new on-call rota', async () => {}, 'button[data-vote="for"]')
  await decide(page, 'Which database for the new service?', async () => {
    await page.fill('#live-choices', 'Postgres, SQLite, DynamoDB')
    await page.selectOption('#live-voting-type', 'single-choice')
  }, 'button[data-ballot="1"]')
  await page.fill('#live-choices', '')
  await page.locator('#live-choices').blur()
  const optimist = swarm.agents[0]
  if (optimist === undefined) throw new Error('no Node agent')
  const self = (await page.locator('#live-peer').textContent()) ?? ''
  // the optimist must have heard of this tab, or its proposal's default electorate leaves it out
  while (!optimist.services.consensus.getPeers().includes(self)) await new Promise(resolve => setTimeout(resolve, 200))
  // still open when the page is shot and the swarm stopped: its rejection (AbortError) is expected
  optimist.services.consensus.requestConsensus(
    {
      title: 'Rotate the API keys',
      description: 'Every service gets new keys tonight; the old ones stop working in 24 hours.',
      action: 'rotate-keys',
      version: 'v2'
    },
    { algorithm: 'quorum', timeoutMs: 40_000, allowVoteChange: true }).catch(() => {})
  const card = page.locator('#live-open .proposal').first()
  await card.waitFor()
  // the other two Node agents have voted (the proposer votes too): three dots filled
  await page.waitForFunction(() => document.querySelectorAll('#live-open .proposal .votes i:is(.for, .against, .abstain)').length >= 3,
    undefined, { timeout: 20_000, polling: 100 })
  await page.waitForTimeout(600)
  await page.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await swarm.stop()
  await server.close()
}
