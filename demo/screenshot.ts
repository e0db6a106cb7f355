/**
 * Regenerates demo/screenshot.png for the README: builds the page, serves the build, lets a
 * 120-agent simulation run a few proposals (so the charts have something to show), and shoots the
 * next one while its votes are in flight. Usage: `npx tsx demo/screenshot.ts` (the browser: see test/browser/chromium.ts).
 */
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright'
import { build, preview } from 'vite'
import { chromiumLaunchOptions } from '../test/browser/chromium.js'

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url))
const out = fileURLToPath(new URL('./screenshot.png', import.meta.url))
// its own folder: the e2e tests build the page into demo/dist and test-results/demo-sim-dist, maybe at the same time
const outDir = fileURLToPath(new URL('../test-results/screenshot-dist', import.meta.url))

await build({ configFile, logLevel: 'warn', mode: 'production', build: { outDir, emptyOutDir: true } })
const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
const browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' })
  await page.goto(`${server.resolvedUrls?.local[0] ?? ''}?agents=120`)
  // a few decided proposals for the charts, all four algorithms
  await page.waitForFunction(() => document.querySelectorAll('#sim-log li').length >= 5, undefined, { timeout: 180_000, polling: 250 })
  // then the next proposal, caught while about half the votes are in
  await page.waitForFunction(() => {
    const tally = document.getElementById('sim-tally')?.dataset
    const waiting = Number(tally?.waiting ?? 0)
    return document.getElementById('sim-banner')?.dataset.decision === undefined && waiting > 30 && waiting < 70
  }, undefined, { timeout: 60_000, polling: 50 })
  await page.screenshot({ path: out, fullPage: true })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await server.close()
}
