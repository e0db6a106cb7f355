/**
 * End to end: build the demo page, serve the build, start a hub and three named Node agents, and drive
 * the page in headless Chromium (test/browser/chromium.ts says which). Checks what a visitor would read: the simulation's decision,
 * tally and agreement, its proposals over choices (bars per choice, the winner, the instant-runoff rounds, each equal to the library's
 * recount of the ballots the page lists as signed), the Python demo's scenarios, and live proposals (yes/no and over choices) whose
 * certificate id and winner in the tab are the ones every Node agent holds. The live mode as a voting app: a notice and the tab's
 * title when a proposal arrives, vote buttons in view at 1400×900, a click counted though the Node agents voted, names, the history
 * after a reload, the certificate view (a tick per signature, the file downloaded, dropped back, tampered), two hubs with one
 * stopped mid-vote, and tabs linked directly over WebRTC. Saves screenshots under test-results/.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright'
import { build, preview, type PreviewServer } from 'vite'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { VoteType, VotingType, decodeCertificate, encodeCertificate, evaluateBallots, parseRule, verifyCertificate, type Ballot } from '../src/index.js'
import { chromiumLaunchOptions } from './browser/chromium.js'
import { slide } from './helpers/page.js'
import { startLiveSwarm, type LiveSwarm, type VotingRule } from './helpers/live-swarm.js'

const config = fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url))
const artifacts = fileURLToPath(new URL('../test-results/', import.meta.url))
/** A ranking over `n` choices: these first, then the rest in order. */
const ranking = (n: number, ...first: number[]): number[] => [...first, ...Array.from({ length: n }, (_, i) => i + 1).filter(c => !first.includes(c))]
/** A preference as a ballot: the favourite on a single-choice proposal, the whole ranking otherwise (the tests use those two types). */
const ballotOf = (p: { votingType?: VotingType }, order: number[]): Ballot => p.votingType === VotingType.SingleChoice ? order[0] ?? 1 : order
/**
 * The demo's three Node agents: optimist, cautious (against production or high risk), auditor (for when a version is named).
 * Over choices as demo/live-swarm.ts's: the optimist prefers them in order, the cautious in reverse, the auditor the second first.
 */
const NODE_AGENTS: VotingRule[] = [
  (p) => p.choices.length > 0 ? ballotOf(p, ranking(p.choices.length)) : VoteType.For,
  (p) => p.choices.length > 0
    ? ballotOf(p, ranking(p.choices.length).reverse())
    : p.payload.target === 'production' || p.payload.risk_level === 'high' ? VoteType.Against : VoteType.For,
  (p) => p.choices.length > 0 ? ballotOf(p, ranking(p.choices.length, 2)) : typeof p.payload.version === 'string' ? VoteType.For : VoteType.Abstain
]
/** The names the three Node agents announce. */
const NODE_NAMES = ['optimist', 'cautious', 'auditor']

/** The ballots the page lists as cast, each of weight 1. */
async function castBallots (page: Page): Promise<Array<{ ballot: Ballot, weight: number }>> {
  const listed = await page.locator('#sim-ballots li').evaluateAll(els => els.map(el => (el as HTMLElement).dataset.ballot ?? ''))
  return listed.map(json => ({ ballot: JSON.parse(json) as Ballot, weight: 1 }))
}

async function numberAttribute (page: Page, selector: string, name: string): Promise<number> {
  return Number(await page.locator(selector).getAttribute(name))
}

describe('the built demo page in headless chromium', () => {
  let server: PreviewServer
  let swarm: LiveSwarm
  let browser: Browser
  let url: string

  beforeAll(async () => {
    await build({ configFile: config, logLevel: 'warn', mode: 'production' })
    server = await preview({ configFile: config, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1' } })
    url = server.resolvedUrls?.local[0] ?? ''
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
    await mkdir(artifacts, { recursive: true })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('simulates 20 agents all in favour: approved, the tally shows it, and all 20 hold the certificate', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' })
    const errors: string[] = []
    page.on('pageerror', (err) => { errors.push(err.message) })
    await page.goto(`${url}?agents=20&autoplay=0#sim`)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 20_000 })
    expect(await page.locator('#sim-title').textContent()).toBe('20 simulated agents')
    await slide(page, '#sim-support', 100)
    await slide(page, '#sim-loss', 0)
    await page.click('#sim-propose')

    // settled: the banner also says how many live agents hold the requester's certificate
    const banner = page.locator('#sim-banner[data-live]')
    await banner.waitFor({ timeout: 30_000 })
    expect(await banner.getAttribute('data-decision')).toBe('approved')
    expect(await banner.textContent()).toContain('APPROVED')
    expect(await banner.getAttribute('data-cert')).toMatch(/^[0-9a-f]{64}$/)
    const votesFor = await numberAttribute(page, '#sim-banner', 'data-for')
    expect(votesFor).toBeGreaterThan(10) // quorum: more than half of 20
    expect(await numberAttribute(page, '#sim-banner', 'data-against')).toBe(0)
    expect(await numberAttribute(page, '#sim-banner', 'data-live')).toBe(20)
    expect(await numberAttribute(page, '#sim-banner', 'data-agreeing')).toBe(20)
    expect(await banner.textContent()).toContain('all 20 live agents hold this certificate')

    // the running tally at the coordinator: at least the certificate's votes, none against, and the rest waiting
    const tallyFor = await numberAttribute(page, '#sim-tally', 'data-for')
    expect(tallyFor).toBeGreaterThanOrEqual(votesFor)
    expect(await numberAttribute(page, '#sim-tally', 'data-against')).toBe(0)
    expect(await numberAttribute(page, '#sim-tally', 'data-waiting')).toBe(20 - tallyFor)
    expect(await page.locator('#sim-tally b[data-k="for"]').textContent()).toBe(String(tallyFor))

    // the log and the stats chart picked it up
    await expect.poll(async () => page.locator('#sim-log li[data-decision="approved"]').count()).toBe(1)
    expect(await page.locator('#sim-outcomes').textContent()).toContain('quorum')
    await page.screenshot({ path: `${artifacts}demo.png` })
    expect(errors).toEqual([])
    await page.close()
  })

  it('simulates a ranked-choice vote over four plans: a bar per choice, the winner and the runoff rounds, recounted from the signed ballots', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 }, colorScheme: 'dark' })
    const errors: string[] = []
    page.on('pageerror', (err) => { errors.push(err.message) })
    await page.goto(`${url}?agents=20&autoplay=0#sim`)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 20_000 })
    await slide(page, '#sim-loss', 0)
    await page.selectOption('#sim-ballot', 'choices')
    await page.selectOption('#sim-choice-count', '4')
    await page.selectOption('#sim-voting-type', 'ranked-choice')
    await page.click('#sim-propose')

    const banner = page.locator('#sim-banner[data-live]')
    await banner.waitFor({ timeout: 40_000 })
    expect(await numberAttribute(page, '#sim-banner', 'data-agreeing')).toBe(20)
    const proposalId = (await page.locator('#sim-log li').first().getAttribute('data-proposal')) ?? ''
    expect(proposalId).toMatch(/^[0-9a-f]{64}$/)

    // what the worker reported, as the page shows it
    const box = page.locator('#sim-ballot-result')
    expect(await box.getAttribute('data-voting-type')).toBe('ranked-choice')
    const scores = JSON.parse((await box.getAttribute('data-scores')) ?? '[]') as number[]
    const ranking = JSON.parse((await box.getAttribute('data-ranking')) ?? '[]') as number[]
    const winner = Number(await box.getAttribute('data-winner'))

    // the ballots the agents signed, recounted here by the library (no loss, nobody silent: all 20 count)
    const cast = await castBallots(page)
    expect(cast).toHaveLength(20)
    expect(new Set(cast.map(c => JSON.stringify(c.ballot))).size).toBeGreaterThan(1)
    const expected = evaluateBallots(VotingType.RankedChoice, 4, parseRule({}, VotingType.RankedChoice, 4), cast, 20)
    expect(expected.winner).not.toBeNull()
    expect(winner).toBe(expected.winner)
    expect(scores).toEqual(expected.scores)
    expect(ranking).toEqual(expected.ranking)
    expect(await banner.getAttribute('data-decision')).toBe('approved')
    const plan = ['plan A', 'plan B', 'plan C', 'plan D'][winner - 1] ?? ''
    expect(await banner.textContent()).toContain(`${plan.toUpperCase()} WINS`)
    expect(await page.locator('#sim-winner .name').textContent()).toBe(plan)

    // one bar per choice, each with its score and place; the winner's marked
    const bars = page.locator('#sim-choice-bars g.choice-bar')
    expect(await bars.count()).toBe(4)
    for (let i = 0; i < 4; i++) {
      const bar = bars.nth(i)
      expect(Number(await bar.getAttribute('data-score'))).toBe(expected.scores[i])
      expect(Number(await bar.getAttribute('data-rank'))).toBe(expected.ranking.indexOf(i + 1) + 1)
    }
    expect(await page.locator('#sim-choice-bars g.choice-bar.won').getAttribute('data-choice')).toBe(String(winner))
    expect(await page.locator('#sim-choice-bars g.choice-bar.won').textContent()).toContain('winner')

    // the runoff: one row per round, a choice struck after each round but the last
    const rounds = page.locator('#sim-runoff g.runoff-round')
    const irv = expected.irvRounds ?? []
    expect(irv.length).toBeGreaterThanOrEqual(1)
    expect(await rounds.count()).toBe(irv.length)
    for (const [r, round] of irv.entries()) expect(await rounds.nth(r).getAttribute('data-eliminated')).toBe(String(round.eliminated ?? ''))
    await page.screenshot({ path: `${artifacts}demo-ranked-choice.png`, fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('simulates each of the six voting types over three plans: each result is the recount of the signed ballots, a bar per plan', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' })
    const errors: string[] = []
    page.on('pageerror', (err) => { errors.push(err.message) })
    await page.goto(`${url}?agents=9&autoplay=0#sim`)
    await page.locator('#sim-propose:not([disabled])').waitFor({ timeout: 20_000 })
    await slide(page, '#sim-loss', 0)
    await slide(page, '#sim-timeout', 1000)
    await page.click('#sim-speed button[data-pace="1000"]')
    await page.selectOption('#sim-ballot', 'choices')
    await page.selectOption('#sim-choice-count', '3')
    for (const [n, votingType] of Object.values(VotingType).entries()) {
      await page.selectOption('#sim-voting-type', votingType)
      await page.locator('#sim-propose:not([disabled])').click({ timeout: 20_000 })
      await expect.poll(async () => page.locator('#sim-log li').count(), { timeout: 30_000, interval: 200 }).toBe(n + 1)
      const box = page.locator('#sim-ballot-result')
      expect(await box.getAttribute('data-voting-type')).toBe(votingType)
      const cast = await castBallots(page)
      expect(cast).toHaveLength(9)
      const expected = evaluateBallots(votingType, 3, parseRule({}, votingType, 3), cast, 9)
      expect(await box.getAttribute('data-winner'), votingType).toBe(String(expected.winner ?? ''))
      expect(JSON.parse((await box.getAttribute('data-scores')) ?? '[]'), votingType).toEqual(expected.scores)
      expect(await page.locator('#sim-choice-bars g.choice-bar').count()).toBe(3)
      expect(await page.locator('#sim-runoff-box').isVisible()).toBe(votingType === VotingType.RankedChoice)
    }
    expect(errors).toEqual([])
    await page.close()
  })

  it("runs the Python demo's three scenarios from the button and shows their outcomes", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' })
    await page.goto(`${url}?agents=6&autoplay=0#sim`)
    await page.locator('#sim-scenarios:not([disabled])').waitFor({ timeout: 20_000 })
    await page.click('#sim-speed button[data-pace="1000"]')
    await page.click('#sim-scenarios')
    await expect.poll(async () => page.locator('#sim-scenario-results .scenario').count(), { timeout: 45_000, interval: 250 }).toBe(3)
    const cards = await page.locator('#sim-scenario-results .scenario').allTextContents()
    const decisions = await page.locator('#sim-scenario-results .scenario').evaluateAll(els => els.map(el => (el as HTMLElement).dataset.decision))
    // the Python demo's personas: 5 for + 1 abstain on the flag; 5 of 7 weight for the migration (> 60 %); all for the rollback
    expect(decisions).toEqual(['approved', 'approved', 'approved'])
    expect(cards[0]).toContain("enable_feature_flag('new_checkout_flow', rollout=10)")
    expect(cards[1]).toContain('weighted approval')
    expect(cards[1]).toContain("execute_migration('add_user_preferences')")
    expect(cards[2]).toContain('EMERGENCY ROLLBACK APPROVED')
    expect(await page.locator('#sim-title').textContent()).toBe("MoAI-Flow's six agents")
    await page.close()
  })

  // each live test gets fresh hubs and Node agents: a tab closed by an earlier test stays in the
  // Node agents' presence roster (so in default electorates) until its announcements expire (~20 s)
  describe('live mode', () => {
    beforeEach(async () => {
      swarm = await startLiveSwarm({ rules: NODE_AGENTS, names: NODE_NAMES, thinkMs: 600 })
    })
    afterEach(async () => {
      await swarm?.stop()
    })

    it('joins the hub from ?hub=, proposes, votes by hand, and shows the certificate the Node agents hold', async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 950 }, colorScheme: 'dark' })
      const errors: string[] = []
      page.on('pageerror', (err) => { errors.push(err.message) })
      await page.goto(`${url}?hub=${encodeURIComponent(swarm.hubAddr)}#live`)
      await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
      const self = (await page.locator('#live-peer').textContent()) ?? ''
      expect(self).toMatch(/^12D3KooW/)
      // presence: the tab learns of the three Node agents behind the hub
      const nodeAgents = swarm.agents.map(a => a.peerId.toString())
      for (const id of nodeAgents) await page.locator(`#live-peers li[data-peer="${id}"]`).waitFor({ timeout: 20_000 })

      // optimist for, cautious against (production), auditor for (a version is named): this tab's vote decides
      await page.fill('#live-title', 'Deploy v2.1 to production')
      await page.locator('#live-propose details.advanced summary').click()
      await page.fill('#live-payload', JSON.stringify({ action: 'deploy', version: 'v2.1', target: 'production' }))
      await page.fill('#live-timeout', '6')
      await page.click('#live-propose-button')
      const card = page.locator('#live-open .proposal').first()
      await card.waitFor({ timeout: 10_000 })
      const proposalId = (await card.getAttribute('data-proposal')) ?? ''
      // the default electorate: this tab and the three Node agents, not the hub (it relays, it does not vote)
      expect(await card.locator('.votes i').count()).toBe(4)
      expect(await card.locator('.title').textContent()).toBe('Deploy v2.1 to production')
      // let the three Node agents answer first: the card names each with its vote
      await expect.poll(async () => card.locator('.votes i.for, .votes i.against, .votes i.abstain').count(), { timeout: 15_000 }).toBe(3)
      expect(await card.locator('.voters li[data-peer] .who').allTextContents()).toEqual(expect.arrayContaining(NODE_NAMES))
      await card.locator('button[data-vote="for"]').click()

      const decision = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
      await decision.waitFor({ timeout: 20_000 })
      expect(await decision.getAttribute('data-decision')).toBe('approved')
      expect(await decision.getAttribute('data-for')).toBe('3')
      expect(await decision.getAttribute('data-against')).toBe('1')
      expect(await decision.getAttribute('data-abstain')).toBe('0')
      const certificate = (await decision.getAttribute('data-cert')) ?? ''
      expect(certificate).toMatch(/^[0-9a-f]{64}$/)
      expect(await decision.textContent()).toContain(certificate)

      // every Node agent reached the same decision with the same certificate
      await expect.poll(() => swarm.decisions.every(d => d.has(proposalId)), { timeout: 15_000 }).toBe(true)
      for (const decided of swarm.decisions) {
        expect(decided.get(proposalId)?.decision).toBe('approved')
        expect(decided.get(proposalId)?.certificate?.id).toBe(certificate)
      }
      await page.screenshot({ path: `${artifacts}demo-live.png` })
      expect(errors).toEqual([])
      await page.close()
    })

    it('proposes over choices from the tab: a bad typed ranking is refused in the page, a good one counts, the tab shows the Node agents\' winner',
      async () => {
        const page = await browser.newPage({ viewport: { width: 1300, height: 1100 }, colorScheme: 'dark' })
        const errors: string[] = []
        page.on('pageerror', (err) => { errors.push(err.message) })
        await page.goto(`${url}?hub=${encodeURIComponent(swarm.hubAddr)}#live`)
        await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
        for (const agent of swarm.agents) await page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"]`).waitFor({ timeout: 20_000 })

        const choices = ['plan A', 'plan B', 'plan C']
        await page.fill('#live-choices', choices.join(', '))
        await page.selectOption('#live-voting-type', 'ranked-choice')
        await page.fill('#live-timeout', '6')
        await page.fill('#live-title', 'Pick a plan')
        await page.click('#live-propose-button')
        const card = page.locator('#live-open .proposal').first()
        await card.waitFor({ timeout: 10_000 })
        const proposalId = (await card.getAttribute('data-proposal')) ?? ''
        expect(await card.locator('.choices-list span').count()).toBe(3)
        // the three Node agents answer with rankings (each dot in its first choice's colour)
        await expect.poll(async () => card.locator('.votes i.c1, .votes i.c2, .votes i.c3').count(), { timeout: 15_000 }).toBe(3)

        // a ranking that names plan B twice: refused in the page, nothing signed
        await card.locator('input.ballot').fill('2,2,1')
        await card.locator('form.ballot-form button.primary').click()
        await expect.poll(async () => card.locator('.ballot-error').textContent()).toContain('repeats choice 2')
        await page.screenshot({ path: `${artifacts}demo-live-ballot.png`, fullPage: true })
        expect(await card.locator('.votes i.c1, .votes i.c2, .votes i.c3').count()).toBe(3)
        // then a valid one
        await card.locator('input.ballot').fill('2,3,1')
        await card.locator('form.ballot-form button.primary').click()
        await expect.poll(async () => card.textContent()).toContain('your ballot: plan B > plan C > plan A')
        expect(await card.locator('.ballot-error').count()).toBe(0)

        // the winner as the library scores these four ballots
        const cast = [ranking(3), ranking(3).reverse(), ranking(3, 2), [2, 3, 1]].map(ballot => ({ ballot, weight: 1 }))
        const expected = evaluateBallots(VotingType.RankedChoice, 3, parseRule({}, VotingType.RankedChoice, 3), cast, 4)
        expect(expected.winner).not.toBeNull()
        const winnerName = choices[(expected.winner ?? 0) - 1] ?? ''

        const decision = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
        await decision.waitFor({ timeout: 25_000 })
        expect(await decision.getAttribute('data-decision')).toBe('approved')
        expect(await decision.getAttribute('data-winner')).toBe(String(expected.winner))
        expect(await decision.textContent()).toContain(`winner: ${winnerName}`)
        const bars = decision.locator('g.choice-bar')
        expect(await bars.count()).toBe(3)
        expect(await decision.locator('g.choice-bar.won').getAttribute('data-choice')).toBe(String(expected.winner))
        for (let i = 0; i < 3; i++) expect(Number(await bars.nth(i).getAttribute('data-score'))).toBe(expected.scores[i])
        const certificate = (await decision.getAttribute('data-cert')) ?? ''
        expect(certificate).toMatch(/^[0-9a-f]{64}$/)

        // every Node agent decided the same winner under the same certificate
        await expect.poll(() => swarm.decisions.every(d => d.has(proposalId)), { timeout: 15_000 }).toBe(true)
        for (const decided of swarm.decisions) {
          expect(decided.get(proposalId)?.winner).toBe(expected.winner)
          expect(decided.get(proposalId)?.certificate?.id).toBe(certificate)
        }
        await page.screenshot({ path: `${artifacts}demo-live-choices.png`, fullPage: true })
        expect(errors).toEqual([])
        await page.close()
      })

    it('votes on a single-choice proposal with one button per choice: the tab\'s vote decides, and every peer names that winner', async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 950 }, colorScheme: 'dark' })
      const errors: string[] = []
      page.on('pageerror', (err) => { errors.push(err.message) })
      await page.goto(`${url}?hub=${encodeURIComponent(swarm.hubAddr)}#live`)
      await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
      for (const agent of swarm.agents) await page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"]`).waitFor({ timeout: 20_000 })
      const choices = ['red', 'green', 'blue']
      await page.fill('#live-choices', choices.join(','))
      await page.selectOption('#live-voting-type', 'single-choice')
      await page.fill('#live-timeout', '5')
      await page.click('#live-propose-button')
      const card = page.locator('#live-open .proposal').first()
      await card.waitFor({ timeout: 10_000 })
      const proposalId = (await card.getAttribute('data-proposal')) ?? ''
      expect(await card.locator('button[data-ballot]').allTextContents()).toEqual([...choices, 'abstain'])
      // the Node agents split three ways (red, blue, green): this tab's vote for blue breaks the tie
      await expect.poll(async () => card.locator('.votes i.c1, .votes i.c2, .votes i.c3').count(), { timeout: 15_000 }).toBe(3)
      await card.locator('button[data-ballot="3"]').click()
      await expect.poll(async () => card.textContent()).toContain('your ballot: blue')
      const cast = [1, 3, 2, 3].map(ballot => ({ ballot, weight: 1 }))
      const expected = evaluateBallots(VotingType.SingleChoice, 3, parseRule({}, VotingType.SingleChoice, 3), cast, 4)

      const decision = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
      await decision.waitFor({ timeout: 25_000 })
      expect(await decision.getAttribute('data-winner')).toBe(String(expected.winner))
      expect(await decision.textContent()).toContain(`winner: ${choices[(expected.winner ?? 0) - 1] ?? ''}`)
      expect(await decision.locator('g.choice-bar').evaluateAll(els => els.map(el => Number(el.getAttribute('data-score'))))).toEqual(expected.scores)
      await expect.poll(() => swarm.decisions.every(d => d.has(proposalId)), { timeout: 15_000 }).toBe(true)
      for (const decided of swarm.decisions) expect(decided.get(proposalId)?.winner).toBe(expected.winner)
      expect(errors).toEqual([])
      await page.close()
    })

    /** A page of the live mode, joined to `hubs`, with every Node agent of `swarm` listed. */
    async function livePage (hubs: string[], of: LiveSwarm = swarm): Promise<{ page: Page, errors: string[], self: string }> {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme: 'dark' })
      const errors: string[] = []
      page.on('pageerror', (err) => { errors.push(err.message) })
      await page.goto(`${url}?hub=${hubs.map(encodeURIComponent).join(',')}#live`)
      await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
      for (const agent of of.agents) await page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"]`).waitFor({ timeout: 20_000 })
      const self = (await page.locator('#live-peer').textContent()) ?? ''
      expect(self).toMatch(/^12D3KooW/)
      return { page, errors, self }
    }

    it('a proposal from another peer: a notice and the tab title say so, the vote buttons are in view at 1400×900, and the click counts', async () => {
      const { page, errors, self } = await livePage([swarm.hubAddr])
      // names instead of peer ids: each Node agent by the name it announced
      for (const [i, agent] of swarm.agents.entries()) {
        await expect.poll(async () => page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"] .who`).textContent(), { timeout: 15_000 })
          .toBe(NODE_NAMES[i])
      }
      const optimist = swarm.agents[0]
      if (optimist === undefined) throw new Error('no Node agent')
      // the optimist must know this tab is there, or its proposal's default electorate leaves it out
      await expect.poll(() => optimist.services.consensus.getPeers().includes(self), { timeout: 15_000 }).toBe(true)
      const title = 'Rotate the API keys'
      const request = optimist.services.consensus.requestConsensus(
        { title, description: 'Every service gets new keys; the old ones stop working in 24 hours.', action: 'rotate-keys' },
        { algorithm: 'quorum', timeoutMs: 6000, allowVoteChange: true })

      const notice = page.locator('#live-notice')
      await notice.waitFor({ state: 'visible', timeout: 10_000 })
      expect(await notice.textContent()).toContain(`New proposal from optimist: ${title}`)
      await expect.poll(async () => page.title()).toContain(title)
      const card = page.locator('#live-open .proposal').first()
      expect(await card.locator('.title').textContent()).toBe(title)
      expect(await card.locator('.desc').textContent()).toContain('the old ones stop working')
      expect(await card.locator('.time-left').textContent()).toMatch(/^\d+ s left$/)
      // the payload's other fields under Advanced, as JSON
      expect(await card.locator('details.advanced pre').textContent()).toContain('"action": "rotate-keys"')
      // the buttons are where the eye is: inside the first screen, without scrolling
      const inFavour = card.locator('button[data-vote="for"]')
      // measured in one step: a vote arriving re-renders the card
      const box = await inFavour.evaluate(el => {
        const r = el.getBoundingClientRect()
        return { top: r.top, bottom: r.bottom, right: r.right, width: r.width }
      })
      expect(box.width).toBeGreaterThan(0)
      expect(box.top).toBeGreaterThanOrEqual(0)
      expect(box.bottom).toBeLessThanOrEqual(900)
      expect(box.right).toBeLessThanOrEqual(1400)
      await page.screenshot({ path: `${artifacts}demo-live-notice.png` })
      await inFavour.click()
      await expect.poll(async () => card.textContent()).toContain('your vote: for')
      // voted: the title is the page's own again and the notice is gone
      await expect.poll(async () => page.title()).not.toContain(title)
      expect(await notice.isVisible()).toBe(false)

      // the Node agents voted too (for, for, abstain: no version named) and the close came at the end of the period, counting
      // this tab: 3 of 4 for is approved, where their 2 of 4 alone is not more than half
      const result = await request
      expect(result.decision).toBe('approved')
      expect([result.votesFor, result.votesAgainst, result.votesAbstain]).toEqual([3, 0, 1])
      expect(result.voters).toContain(self)
      const decision = page.locator(`#live-decisions li[data-proposal="${result.proposalId}"]`)
      await decision.waitFor({ timeout: 15_000 })
      expect(await decision.getAttribute('data-cert')).toBe(result.certificate?.id)
      expect(await decision.locator('.title').textContent()).toBe(title)
      expect(await decision.textContent()).toContain('by optimist')
      expect(errors).toEqual([])
      await page.close()
    })

    it('keeps its decisions across a reload, and checks each certificate in the page: a tick per signature, downloaded, dropped back, tampered', async () => {
      const { page, errors, self } = await livePage([swarm.hubAddr])
      await page.fill('#live-title', 'Adopt the new on-call rota')
      await page.fill('#live-timeout', '5')
      await page.click('#live-propose-button')
      const card = page.locator('#live-open .proposal').first()
      await card.waitFor({ timeout: 10_000 })
      const proposalId = (await card.getAttribute('data-proposal')) ?? ''
      await card.locator('button[data-vote="for"]').click()
      const decision = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
      await decision.waitFor({ timeout: 20_000 })
      const certificateId = (await decision.getAttribute('data-cert')) ?? ''
      expect(certificateId).toMatch(/^[0-9a-f]{64}$/)
      await expect.poll(() => swarm.decisions.every(d => d.has(proposalId)), { timeout: 15_000 }).toBe(true)
      const held = swarm.decisions[0]?.get(proposalId)?.certificate
      if (held === undefined) throw new Error('the optimist holds no certificate')

      // a reload: the same agent (its key is kept by the tab), and the decision is still listed, from its IndexedDB
      await page.reload()
      await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
      expect(await page.locator('#live-peer').textContent()).toBe(self)
      const kept = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
      await kept.waitFor({ timeout: 10_000 })
      expect(await kept.getAttribute('data-cert')).toBe(certificateId)
      expect(await kept.locator('.title').textContent()).toBe('Adopt the new on-call rota')

      // a new name: kept for the next tabs, the tab restarts as the same agent and the Node agents hear it
      const optimist = swarm.agents[0]
      await expect.poll(() => optimist?.services.consensus.getPeerInfo(self)?.name, { timeout: 15_000 }).toMatch(/^tab-/)
      await page.fill('#live-name', 'alice')
      await Promise.all([page.waitForEvent('load'), page.press('#live-name', 'Enter')])
      await page.locator('#live-status[data-state="connected"]').waitFor({ timeout: 20_000 })
      expect(await page.locator('#live-peer').textContent()).toBe(self)
      expect(await page.locator('#live-name').inputValue()).toBe('alice')
      await expect.poll(() => optimist?.services.consensus.getPeerInfo(self)?.name, { timeout: 20_000 }).toBe('alice')
      await kept.waitFor({ timeout: 10_000 })
      // and the tab has heard the Node agents announce themselves again
      for (const [i, agent] of swarm.agents.entries()) {
        await expect.poll(async () => page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"] .who`).textContent(), { timeout: 15_000 })
          .toBe(NODE_NAMES[i])
      }

      // its certificate, checked in the page: the proposal, four counted votes, the close and the acks, each signature ticked
      await kept.locator('button.show-cert').click()
      const view = page.locator('#live-cert .cert-view')
      await view.locator('.verdict').waitFor({ timeout: 10_000 })
      expect(await view.locator('.verdict').getAttribute('data-verified')).toBe('true')
      expect(await view.getAttribute('data-cert')).toBe(certificateId)

      // downloaded: the tab's own certificate, canonical bytes that verify offline to the same outcome the Node agent
      // holds. Its acks may differ from the agent's (each peer keeps the deciding acks it received); the id does not.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#live-cert-download')])
      expect(download.suggestedFilename()).toBe(`certificate-${certificateId.slice(0, 12)}.cbor`)
      const bytes = new Uint8Array(await readFile(await download.path()))
      const mine = decodeCertificate(bytes)
      expect(encodeCertificate(mine)).toEqual(bytes)
      const checked = await verifyCertificate(mine)
      const theirs = await verifyCertificate(held)
      expect(checked.certificateId).toBe(certificateId)
      expect(theirs.certificateId).toBe(certificateId)
      expect(checked.votes).toEqual(theirs.votes)
      expect(checked.decision).toEqual(theirs.decision)
      expect(mine.proposal).toEqual(held.proposal)

      const parts = 1 + mine.votes.length + 1 + mine.acks.length
      expect(await view.locator('li.part[data-ok="true"]').count()).toBe(parts)
      expect(await view.locator('li.part[data-ok="false"]').count()).toBe(0)
      expect(await view.locator('li.part[data-kind="vote"]').count()).toBe(4)
      const voters = await view.locator('li.part[data-kind="vote"] .who').allTextContents()
      expect(voters).toEqual(expect.arrayContaining([...NODE_NAMES]))
      expect(await view.locator('li.part[data-kind="vote"] .tick.ok').count()).toBe(4)
      await page.screenshot({ path: `${artifacts}demo-live-certificate.png` })
      await page.click('#live-cert-close')

      // dropped back in on the drop zone: checked offline, it verifies
      const dataTransfer = await page.evaluateHandle((data) => {
        const transfer = new DataTransfer()
        transfer.items.add(new File([new Uint8Array(data)], 'mine.cbor', { type: 'application/cbor' }))
        return transfer
      }, [...bytes])
      await page.dispatchEvent('#live-drop', 'drop', { dataTransfer })
      await expect.poll(async () => view.locator('.verdict').getAttribute('data-verified')).toBe('true')
      expect(await view.textContent()).toContain('file mine.cbor')
      expect(await view.locator('li.part[data-ok="true"]').count()).toBe(parts)
      await page.click('#live-cert-close')
      // and picked with the file input, the same
      await page.setInputFiles('#live-cert-file', { name: 'picked.cbor', mimeType: 'application/cbor', buffer: Buffer.from(bytes) })
      await expect.poll(async () => view.textContent()).toContain('file picked.cbor')
      expect(await view.locator('.verdict').getAttribute('data-verified')).toBe('true')
      await page.click('#live-cert-close')

      // one byte of an ack's signature changed: that ack is marked, and the certificate proves nothing
      const tampered = decodeCertificate(bytes)
      const ack = tampered.acks[0] ?? new Uint8Array()
      ack[ack.length - 1] = (ack[ack.length - 1] ?? 0) ^ 1
      await page.setInputFiles('#live-cert-file', { name: 'tampered.cbor', mimeType: 'application/cbor', buffer: Buffer.from(encodeCertificate(tampered)) })
      await expect.poll(async () => view.locator('.verdict').getAttribute('data-verified')).toBe('false')
      expect(await view.locator('.verdict').textContent()).toContain('Does not prove a decision')
      expect(await view.locator('li.part[data-kind="ack"][data-ok="false"]').count()).toBe(1)
      expect(await view.locator('li.part[data-kind="ack"][data-ok="false"] .problem').textContent()).toContain('bad-signature')
      // and a file that is no certificate at all
      await page.click('#live-cert-close')
      await page.setInputFiles('#live-cert-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a certificate') })
      await expect.poll(async () => view.locator('.verdict .reason').textContent()).toContain('not a certificate')
      expect(errors).toEqual([])
      await page.close()
    })

    it('joins two hubs from ?hub=a,b and still decides when one of them stops mid-vote', async () => {
      const pair = await startLiveSwarm({ rules: NODE_AGENTS, names: NODE_NAMES, thinkMs: 300, hubCount: 2 })
      try {
        const { page, errors } = await livePage(pair.hubAddrs, pair)
        // the tab holds both hubs (a coordinator loses nothing when one goes); each Node agent holds one
        expect(await page.locator('#live-hubs li').count()).toBe(2)
        await expect.poll(async () => page.locator('#live-hubs li[data-up="true"]').count(), { timeout: 15_000 }).toBe(2)
        expect(await page.locator('#live-status').textContent()).toBe('connected to 2 hubs')
        await page.fill('#live-title', 'Keep going on one hub')
        await page.fill('#live-timeout', '8')
        await page.click('#live-propose-button')
        const card = page.locator('#live-open .proposal').first()
        await card.waitFor({ timeout: 10_000 })
        const proposalId = (await card.getAttribute('data-proposal')) ?? ''
        expect(await card.locator('.voters li').count()).toBe(4)
        await expect.poll(async () => card.locator('.votes i.for, .votes i.against, .votes i.abstain').count(), { timeout: 15_000 }).toBe(3)

        // mid-vote, the first hub stops: the Node agents on it fail over to the other, the tab keeps that one
        const [stopped, left] = pair.hubs
        if (stopped === undefined || left === undefined) throw new Error('two hubs expected')
        await stopped.stop()
        await page.locator(`#live-hubs li[data-hub="${stopped.peerId}"][data-up="false"]`).waitFor({ timeout: 15_000 })
        expect(await page.locator('#live-status').textContent()).toBe('connected to 1 of 2 hubs')
        await expect.poll(() => pair.agents.every(a => a.getConnections().some(c => c.remotePeer.toString() === left.peerId)), { timeout: 20_000 }).toBe(true)
        await card.locator('button[data-vote="for"]').click()

        // decided at the end of the period, by the tab and every Node agent, with one certificate counting all four
        const decision = page.locator(`#live-decisions li[data-proposal="${proposalId}"]`)
        await decision.waitFor({ timeout: 25_000 })
        const certificate = await decision.getAttribute('data-cert')
        expect(certificate).toMatch(/^[0-9a-f]{64}$/)
        expect(Number(await decision.getAttribute('data-for')) + Number(await decision.getAttribute('data-against')) +
          Number(await decision.getAttribute('data-abstain'))).toBe(4)
        await expect.poll(() => pair.decisions.every(d => d.has(proposalId)), { timeout: 20_000 }).toBe(true)
        for (const decided of pair.decisions) expect(decided.get(proposalId)?.certificate?.id).toBe(certificate)
        expect(errors).toEqual([])
        await page.close()
      } finally {
        await pair.stop()
      }
    })

    it('shows which links are direct: two tabs over WebRTC, the Node agents through the hub', async () => {
      const one = await livePage([swarm.hubAddr])
      const two = await livePage([swarm.hubAddr])
      // each tab lists the other as a direct (WebRTC) link, read from its connection's transport
      await one.page.locator(`#live-peers li[data-peer="${two.self}"][data-link="direct"]`).waitFor({ timeout: 30_000 })
      await two.page.locator(`#live-peers li[data-peer="${one.self}"][data-link="direct"]`).waitFor({ timeout: 30_000 })
      expect(await one.page.locator(`#live-peers li[data-peer="${two.self}"] .link`).textContent()).toBe('direct · WebRTC')
      // the Node agents have no WebRTC here: the tab reaches them through the hub
      for (const agent of swarm.agents) {
        expect(await one.page.locator(`#live-peers li[data-peer="${agent.peerId.toString()}"]`).getAttribute('data-link')).toBe('via hub')
      }
      expect(await one.page.locator('#live-peer-count').textContent()).toContain('1 direct link')
      await one.page.screenshot({ path: `${artifacts}demo-live-links.png` })
      expect([...one.errors, ...two.errors]).toEqual([])
      await one.page.close()
      await two.page.close()
    })

    it('a tab that is left says so: the Node agents, reached only through the hub, drop it at once, not after the presence TTL', async () => {
      const { page, errors, self } = await livePage([swarm.hubAddr])
      for (const agent of swarm.agents) await expect.poll(() => agent.services.consensus.getPeers().includes(self), { timeout: 15_000 }).toBe(true)
      const reasons = swarm.agents.map(agent => {
        const seen: string[] = []
        agent.services.consensus.addEventListener('peer:absent', (evt) => { if (evt.detail.peerId === self) seen.push(evt.detail.reason) })
        return seen
      })
      expect(errors).toEqual([])
      const left = Date.now()
      // navigating away fires pagehide in every Chromium; closing the page does only in a full one (the
      // packaged headless build closes a page without running its pagehide handlers)
      await page.goto('about:blank')
      // the agents' TTL is 17 s; the tab's hub would drop it at once, but these agents are not the hub
      await expect.poll(() => swarm.agents.every(agent => !agent.services.consensus.getPeers().includes(self)), { timeout: 5_000, interval: 100 }).toBe(true)
      expect(Date.now() - left).toBeLessThan(5_000)
      expect(reasons).toEqual(swarm.agents.map(() => ['left']))
      await page.close()
    })
  })
})
