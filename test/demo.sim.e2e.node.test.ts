/**
 * End to end, the demo's simulation mode in headless Chromium (test/browser/chromium.ts says which): the
 * page is built into its own folder (test-results/demo-sim-dist, not demo/dist, which the live-mode test
 * builds) and served from there. Checks what a visitor reads: the banner's counts are the certificate's and
 * the tally says which votes came after the close; the clock stops at the decision; a 300-agent run shows
 * its progress and can be cancelled; the subtitle follows what the worker really runs; the scenario cards
 * account for every persona's vote and say why the close counted fewer; the outcomes chart's labels and
 * the scenario cards fit their boxes. Prints the wall time of a 300-agent decision at "fast" (never asserted).
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright'
import { build, preview, type PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimulatedSwarm } from '../src/testing/index.js'
import { chromiumLaunchOptions } from './browser/chromium.js'
import { slide } from './helpers/page.js'

const configFile = fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url))
const outDir = fileURLToPath(new URL('../test-results/demo-sim-dist', import.meta.url))
const artifacts = fileURLToPath(new URL('../test-results/', import.meta.url))

async function num (page: Page, selector: string, name: string): Promise<number> {
  const value = await page.locator(selector).getAttribute(name)
  expect(value, `${selector} ${name}`).not.toBeNull()
  return Number(value)
}

/** Elements of `selector` whose content is wider than their box, or that stick out of `within`. */
async function overflowing (page: Page, selector: string, within: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els, outer) => els.flatMap(el => {
    const box = el.getBoundingClientRect()
    const container = el.closest(outer)?.getBoundingClientRect()
    const wide = el.scrollWidth > el.clientWidth + 1
    const out = container !== undefined && (box.right > container.right + 1 || box.left < container.left - 1)
    const children = Array.from(el.querySelectorAll('*')).some(c => c.getBoundingClientRect().right > box.right + 1)
    return wide || out || children ? [`${el.className} ${(el.textContent ?? '').slice(0, 40)}`] : []
  }), within)
}

describe('the demo page\'s simulation in headless chromium', () => {
  let server: PreviewServer
  let browser: Browser
  let url: string

  beforeAll(async () => {
    await build({ configFile, logLevel: 'warn', mode: 'production', build: { outDir, emptyOutDir: true } })
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } })
    url = server.resolvedUrls?.local[0] ?? ''
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
    await mkdir(artifacts, { recursive: true })
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  async function open (query: string, viewport = { width: 1400, height: 900 }): Promise<{ page: Page, errors: string[] }> {
    const page = await browser.newPage({ viewport, colorScheme: 'dark' })
    const errors: string[] = []
    page.on('pageerror', (err) => { errors.push(err.message) })
    await page.goto(`${url}?${query}#sim`)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 60_000 })
    return { page, errors }
  }

  it('after a decision the banner gives the certificate\'s counts, the tally parts them from late votes, and the clock stops', async () => {
    const { page, errors } = await open('agents=60&autoplay=0')
    await slide(page, '#sim-loss', 0)
    await slide(page, '#sim-support', 80)
    await page.click('#sim-speed button[data-pace="1000"]')
    await page.click('#sim-propose')
    await page.locator('#sim-banner[data-live]').waitFor({ timeout: 60_000 })

    // quorum closes as soon as more than half are for: the rest reach the coordinator after its close
    const certified = {
      for: await num(page, '#sim-banner', 'data-for'),
      against: await num(page, '#sim-banner', 'data-against'),
      abstain: await num(page, '#sim-banner', 'data-abstain')
    }
    expect(certified.for).toBeGreaterThan(30)
    for (const k of ['for', 'against', 'abstain'] as const) {
      expect(await num(page, '#sim-tally', `data-certified-${k}`), k).toBe(certified[k])
      // every vote the coordinator holds is the certificate's or a late one, none both
      expect(await num(page, '#sim-tally', `data-${k}`), k).toBe(certified[k] + await num(page, '#sim-tally', `data-late-${k}`))
    }
    const late = await num(page, '#sim-banner', 'data-late')
    expect(late).toBeGreaterThan(0)
    const lateKinds = [
      await num(page, '#sim-tally', 'data-late-for'), await num(page, '#sim-tally', 'data-late-against'), await num(page, '#sim-tally', 'data-late-abstain')
    ]
    expect(late).toBe(lateKinds.reduce((a, b) => a + b, 0))
    const banner = (await page.locator('#sim-banner').textContent()) ?? ''
    expect(banner).toContain(`counted in the certificate: ${certified.for} for · ${certified.against} against · ${certified.abstain} abstain`)
    expect(banner).toContain(`+ ${late} vote`)
    expect(banner).toContain('after its close')
    expect(await page.locator('#sim-tally .tally-split').textContent()).toContain(`the certificate counted ${certified.for} for`)
    // the hatched segments are drawn: as wide as the late votes' share
    const lateWidth = await page.locator('#sim-tally .seg.late.for').evaluate(el => el.getBoundingClientRect().width)
    expect(lateWidth).toBeGreaterThan(0)

    // the clock stopped at the decision and says so; what ran on to the settle is not on it
    const clock = page.locator('#sim-clock')
    expect(await clock.getAttribute('data-stopped')).toBe('true')
    const shown = (await clock.textContent()) ?? ''
    expect(shown).toMatch(/^decided at [\d.]+ (ms|s) of virtual time · deadline 3\.0 s$/)
    await page.waitForTimeout(600)
    expect(await clock.textContent()).toBe(shown)
    await page.screenshot({ path: `${artifacts}demo-sim-late-votes.png` })
    expect(errors).toEqual([])
    await page.close()
  })

  it('300 agents at "fast": progress while it runs, Cancel stops it and Propose comes back; a full run\'s wall time is printed', async () => {
    const { page, errors } = await open('agents=300&autoplay=0')
    expect(await page.locator('#sim-title').textContent()).toBe('300 simulated agents')
    await page.click('#sim-speed button[data-pace="1000"]')
    await expect.poll(async () => page.locator('#sim-sub').getAttribute('data-loss')).toBe('0.05')

    // cancel: the progress line moves, Cancel shows; after it nothing is decided and Propose is back
    await page.click('#sim-propose')
    const progress = page.locator('#sim-progress[data-state="running"]')
    await progress.waitFor({ timeout: 20_000 })
    expect(await page.locator('#sim-cancel').isVisible()).toBe(true)
    expect(await page.locator('#sim-propose').isDisabled()).toBe(true)
    await expect.poll(async () => page.locator('#sim-progress').textContent(), { timeout: 20_000 })
      .toMatch(/running: .* [1-9][\d,]* deliveries · \d+ of 300 agents decided/)
    await page.click('#sim-cancel')
    await page.locator('#sim-progress[data-state="cancelled"]').waitFor({ timeout: 5_000 })
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 60_000 })
    expect(await page.locator('#sim-cancel').isVisible()).toBe(false)
    expect(await page.locator('#sim-log li').count()).toBe(0)
    expect(await page.locator('#sim-progress').textContent()).toContain('cancelled')

    // a whole run: decided by all 300, its wall time on the page
    await page.click('#sim-propose')
    await page.locator('#sim-banner[data-live]').waitFor({ timeout: 180_000 })
    expect(await num(page, '#sim-banner', 'data-agreeing')).toBe(300)
    await page.locator('#sim-progress[data-state="done"]').waitFor({ timeout: 5_000 })
    const wallMs = await num(page, '#sim-progress', 'data-wall-ms')
    const settledMs = await num(page, '#sim-progress', 'data-settled-ms')
    console.log(`demo simulation, 300 agents at "fast" in headless Chromium: decision after ${wallMs} ms of wall time, ` +
      `every agent decided after ${settledMs} ms`)
    expect(await page.locator('#sim-progress').textContent()).toMatch(/^last proposal: decided at .* of virtual time/)
    await page.screenshot({ path: `${artifacts}demo-sim-300.png` })
    expect(errors).toEqual([])
    await page.close()
  }, 300_000)

  it('the subtitle says the loss the worker runs with, even when the slider moved while the swarm was being built', async () => {
    const { page, errors } = await open('agents=40&autoplay=0')
    // a rebuild (the worker busy building), and loss moved to 30 % meanwhile: the build's reply comes last
    await slide(page, '#sim-agents', 80)
    await slide(page, '#sim-loss', 30)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 60_000 })
    await expect.poll(async () => page.locator('#sim-sub').getAttribute('data-loss'), { timeout: 10_000 }).toBe('0.3')
    await page.waitForTimeout(500)
    expect(await page.locator('#sim-sub').textContent()).toContain('30% loss')
    expect(await page.locator('#sim-title').textContent()).toBe('80 simulated agents')
    expect(errors).toEqual([])
    await page.close()
  })

  for (const viewport of [{ width: 1400, height: 900 }, { width: 420, height: 900 }]) {
    it(`MoAI-Flow's scenarios at ${viewport.width} px: every persona's vote accounted for, why the close counted fewer; cards and labels fit`, async () => {
      const { page, errors } = await open('autoplay=0', viewport)
      await page.click('#sim-speed button[data-pace="1000"]')
      await page.click('#sim-scenarios')
      await expect.poll(async () => page.locator('#sim-scenario-results .scenario[data-late]').count(), { timeout: 120_000, interval: 250 }).toBe(3)
      for (let i = 0; i < 3; i++) {
        const card = `#sim-scenario-results .scenario[data-scenario="${i}"]`
        const counted = await num(page, card, 'data-for') + await num(page, card, 'data-against') + await num(page, card, 'data-abstain')
        const late = await num(page, card, 'data-late')
        // the six personas all vote, on a network without loss: each vote is in the certificate or said to have come late
        expect(counted + late, `scenario ${i + 1}`).toBe(6)
        const note = (await page.locator(`${card} .counted-note`).textContent()) ?? ''
        if (late > 0) {
          expect(note).toContain(`the coordinator closed after ${counted} votes`)
          expect(note).toContain('npm run scenarios')
        } else {
          expect(note).toContain(`all ${counted} votes cast`)
        }
      }
      // the weighted scenario's approval is the certificate's, said to be
      expect(await page.locator('#sim-scenario-results .scenario[data-scenario="1"] .tag').first().textContent()).toContain('counted in the certificate')

      expect(await overflowing(page, '#sim-scenario-results .scenario', '.log-card')).toEqual([])
      // every label of the outcomes chart ends before its bar starts (expert_weighted is the longest)
      const labels = await page.locator('#sim-outcomes svg').evaluate(svg => Array.from(svg.querySelectorAll('text.chart-label')).map(label => {
        const track = svg.querySelector('rect.chart-track') as SVGRectElement
        const box = (label as SVGTextElement).getBBox()
        return { name: label.textContent, right: box.x + box.width, barX: track.x.baseVal.value }
      }))
      expect(labels.map(l => l.name)).toContain('expert_weighted')
      for (const label of labels) expect(label.right, String(label.name)).toBeLessThan(label.barX)
      await page.locator('#sim-scenario-results').scrollIntoViewIfNeeded()
      await page.screenshot({ path: `${artifacts}demo-sim-scenarios-${viewport.width}.png`, fullPage: true })
      await page.locator('#sim-scenario-results').screenshot({ path: `${artifacts}demo-sim-scenario-cards-${viewport.width}.png` })
      expect(errors).toEqual([])
      await page.close()
    }, 180_000)
  }
})

// what the page's worker relies on: only the agents it may crash keep a datastore
describe('SimulatedSwarm.create({ persistent })', () => {
  it('decides as before; a persistent agent restarts from its datastore, any other refuses with InvalidParametersError', async () => {
    const swarm = await SimulatedSwarm.create({ agents: 12, seed: 4, latencyMs: [5, 40], persistent: (index) => index === 0 })
    expect(swarm.agent(0).datastore).toBeDefined()
    expect(swarm.agent(1).datastore).toBeUndefined()
    const result = await swarm.request(0, { action: 'deploy' }, { timeoutMs: 2_000 })
    expect(result.decision).toBe('approved')
    await swarm.crash(0)
    await swarm.restart(0)
    // the restarted agent replayed what it stored: it holds the decision again
    await swarm.settle(5_000)
    expect(swarm.agent(0).decisions.get(result.proposalId)?.certificate?.id).toBe(result.certificate?.id)
    await swarm.crash(1)
    await expect(swarm.restart(1)).rejects
      .toThrow(expect.objectContaining({ name: 'InvalidParametersError', message: expect.stringContaining('agent 1 is not persistent') }))
    await swarm.stop()
  })
})
