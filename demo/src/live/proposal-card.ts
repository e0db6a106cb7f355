/**
 * One open proposal as a voter meets it: its title and description, who proposed it, the time left
 * in its voting period, who has voted (by name), and the vote buttons right there. Votes may change
 * until the period ends (the demo's proposals allow it, as Snapshot does), so the buttons stay and
 * the current vote is marked. The payload's other fields are under "Advanced".
 */
import { VoteType, VotingType, type Ballot, type ProposalView } from '../../../src/index.js'
import { ballotHint, describeBallot, markOf, parseBallot } from '../ballots.js'
import { escapeXml } from '../charts.js'
import { advancedOf, descriptionOf, payloadJson, titleOf } from './proposal-text.js'
import { thresholdOf } from './picture.js'

/** What a card needs from the panel. */
export interface CardContext {
  self: string
  nameOf(id: string): string
  cast(proposalId: string, ballot: Ballot): Promise<void>
}

const HOW: Record<VotingType, (n: number) => string> = {
  'single-choice': () => 'one choice',
  approval: () => 'choice numbers you approve, e.g. 1,3 (none: empty)',
  'ranked-choice': (n) => `every choice number, best first, e.g. ${ballotHint(VotingType.RankedChoice, n)}`,
  copeland: (n) => `every choice number, best first, e.g. ${ballotHint(VotingType.Copeland, n)}`,
  weighted: () => 'choice:share pairs, e.g. 1:2,3:1',
  quadratic: () => 'choice:share pairs, e.g. 1:2,3:1'
}

const choiceChip = (choice: string, i: number): string =>
  `<span data-choice="${i + 1}"><i style="background:var(--c${(i % 6) + 1})"></i>${i + 1}. ${escapeXml(choice)}</span>`

/** Seconds left as people say it. */
export function timeLeft (ms: number): string {
  if (ms <= 0) return 'voting closed · counting'
  const s = Math.ceil(ms / 1000)
  return s < 90 ? `${s} s left` : `${Math.floor(s / 60)} min ${s % 60} s left`
}

/** The rule of a proposal in a few words. */
export function ruleOf (view: ProposalView): string {
  if (view.choices.length > 0) return `${view.votingType ?? 'single-choice'} over ${view.choices.length} choices`
  const threshold = view.algorithmKind === 'unanimous' ? 'all for' : `more than ${Math.round(100 * thresholdOf(view))}% for`
  return `${view.algorithm} · ${threshold}`
}

/** An open proposal's card. */
export class ProposalCard {
  readonly element: HTMLElement
  /** the latest vote (or ballot) heard from each voter */
  readonly votes = new Map<string, Ballot>()
  private problem: string | undefined
  private pending = false

  constructor (readonly view: ProposalView, private readonly ctx: CardContext) {
    this.element = document.createElement('article')
    this.element.className = 'proposal'
    this.element.dataset.proposal = view.id
    this.render()
  }

  /** Whether this tab may vote on it. */
  get member (): boolean {
    return this.view.electorate.some(m => m.id === this.ctx.self)
  }

  /** Whether this tab has voted. */
  get voted (): boolean {
    return this.votes.has(this.ctx.self)
  }

  /** A vote reached this tab. */
  heard (voter: string, ballot: Ballot): void {
    this.votes.set(voter, ballot)
    this.render()
  }

  /** Refresh the clock. */
  tick (): void {
    const left = this.view.deadline - Date.now()
    const bar = this.element.querySelector<HTMLElement>('.countdown i')
    if (bar !== null) bar.style.width = `${Math.max(0, Math.min(100, 100 * left / (this.view.deadline - this.view.createdAt)))}%`
    const clock = this.element.querySelector<HTMLElement>('.time-left')
    if (clock !== null) clock.textContent = timeLeft(left)
  }

  private async cast (ballot: Ballot): Promise<void> {
    this.problem = undefined
    this.pending = true
    try {
      await this.ctx.cast(this.view.id, ballot)
    } catch (err) {
      this.problem = `vote not recorded: ${(err as Error).message}`
    }
    this.pending = false
    this.render()
  }

  /** Draw the card (again: a vote came in, or this tab voted). */
  render (): void {
    const { view, element } = this
    const mine = this.votes.get(this.ctx.self)
    const choices = view.choices.length > 0
    // a re-render keeps what is being typed
    const typed = element.querySelector<HTMLInputElement>('input.ballot')
    const draft = typed?.value ?? ''
    const focused = typed !== null && document.activeElement === typed
    const canVote = this.member && (mine === undefined || view.allowVoteChange) && view.deadline > Date.now()
    const left = view.deadline - Date.now()
    const advanced = advancedOf(view.payload)
    const description = descriptionOf(view.payload)
    // this tab first, then by name
    const self = this.ctx.self
    const members = [...view.electorate]
      .sort((a, b) => Number(b.id === self) - Number(a.id === self) || this.ctx.nameOf(a.id).localeCompare(this.ctx.nameOf(b.id)))
    const voters = members.map(m => {
      const vote = this.votes.get(m.id)
      const words = vote === undefined ? 'not yet' : describeBallot(vote, view.choices)
      const me = m.id === this.ctx.self ? ' self' : ''
      return `<li class="voter${me}" data-peer="${escapeXml(m.id)}" title="${escapeXml(m.id)}"><i class="${markOf(vote) ?? ''}"></i>` +
        `<span class="who">${escapeXml(m.id === this.ctx.self ? `${this.ctx.nameOf(m.id)} (you)` : this.ctx.nameOf(m.id))}</span>` +
        `<span class="what">${escapeXml(words)}</span></li>`
    }).join('')
    element.dataset.voted = String(mine !== undefined)
    element.innerHTML = `<header><h4 class="title">${escapeXml(titleOf(view.payload))}</h4>` +
      `<span class="time-left">${timeLeft(left)}</span></header>` +
      `<div class="byline tag">by <b>${escapeXml(this.ctx.nameOf(view.coordinator))}</b> · ${escapeXml(ruleOf(view))}` +
      `${view.allowVoteChange ? ' · votes can change until the end' : ''}</div>` +
      (description === '' ? '' : `<p class="desc">${escapeXml(description)}</p>`) +
      (choices ? `<div class="choices-list">${view.choices.map((c, i) => choiceChip(c, i)).join('')}</div>` : '') +
      `<div class="buttons vote-row">${this.controls(canVote, mine, draft)}</div>` +
      (this.problem === undefined ? '' : `<div class="ballot-error" role="alert">${escapeXml(this.problem)}</div>`) +
      `<div class="countdown"><i style="width:${Math.max(0, Math.min(100, 100 * left / (view.deadline - view.createdAt)))}%"></i></div>` +
      `<div class="votes" aria-hidden="true">${view.electorate.map(m => `<i class="${markOf(this.votes.get(m.id)) ?? ''}"></i>`).join('')}</div>` +
      `<div class="tally-line tag">${this.tallyWords()}</div>` +
      `<ul class="voters">${voters}</ul>` +
      `<details class="advanced"><summary>Advanced</summary><pre class="payload">${escapeXml(payloadJson(advanced))}</pre>` +
      `<div class="tag">proposal <code>${view.id}</code></div></details>`
    this.wire(focused)
  }

  /** How the votes heard so far stand (the count that decides is the close's, at the end of the period). */
  private tallyWords (): string {
    const members = this.view.electorate.length
    const heard = this.view.electorate.filter(m => this.votes.has(m.id)).map(m => this.votes.get(m.id))
    const so = `${heard.length} of ${members} voted`
    if (this.view.choices.length > 0) return `${so} so far`
    const count = (v: string): number => heard.filter(b => b === v).length
    return `${so} so far · ${count('for')} for · ${count('against')} against · ${count('abstain')} abstain`
  }

  private controls (canVote: boolean, mine: Ballot | undefined, draft: string): string {
    const { view } = this
    const yours = mine === undefined
      ? ''
      : `<span class="tag yours">your ${view.choices.length > 0 ? 'ballot' : 'vote'}: <b>${escapeXml(describeBallot(mine, view.choices))}</b></span>`
    if (!this.member) return '<span class="tag">this tab is not in the electorate</span>'
    if (!canVote) return yours
    const disabled = this.pending ? ' disabled' : ''
    if (view.choices.length === 0) {
      return ['for', 'against', 'abstain']
        .map(v => `<button class="vote-${v}${mine === v ? ' chosen' : ''}" data-vote="${v}"${disabled}>${v}</button>`).join('') + yours
    }
    const type = view.votingType ?? VotingType.SingleChoice
    if (type === VotingType.SingleChoice) {
      return view.choices
        .map((c, i) => `<button data-ballot="${i + 1}" class="${mine === i + 1 ? 'chosen' : ''}"${disabled}>${escapeXml(c)}</button>`).join('') +
        `<button class="vote-abstain${mine === VoteType.Abstain ? ' chosen' : ''}" data-ballot="abstain"${disabled}>abstain</button>` + yours
    }
    return `<form class="ballot-form"><input class="ballot" type="text" placeholder="${ballotHint(type, view.choices.length)}" spellcheck="false" ` +
      `aria-label="ballot: ${escapeXml(HOW[type](view.choices.length))}" value="${escapeXml(draft)}"><button class="primary"${disabled}>vote</button>` +
      `<button type="button" class="vote-abstain" data-ballot="abstain"${disabled}>abstain</button></form>` +
      `<span class="tag how">${escapeXml(HOW[type](view.choices.length))}</span>${yours}`
  }

  private wire (focused: boolean): void {
    const { element, view } = this
    element.querySelectorAll<HTMLButtonElement>('button[data-vote]').forEach(button => {
      button.addEventListener('click', () => { void this.cast(button.dataset.vote as VoteType) })
    })
    element.querySelectorAll<HTMLButtonElement>('button[data-ballot]').forEach(button => {
      const value = button.dataset.ballot ?? ''
      button.addEventListener('click', () => { void this.cast(value === 'abstain' ? VoteType.Abstain : Number(value)) })
    })
    const form = element.querySelector<HTMLFormElement>('form.ballot-form')
    const field = element.querySelector<HTMLInputElement>('input.ballot')
    if (form === null || field === null) return
    if (focused) field.focus()
    const type = view.votingType ?? VotingType.SingleChoice
    form.addEventListener('submit', (evt) => {
      evt.preventDefault()
      const parsed = parseBallot(type, field.value, view.choices.length)
      if ('problem' in parsed) {
        this.problem = `not a ${type} ballot: ${parsed.problem}`
        this.render()
        return
      }
      field.value = ''
      void this.cast(parsed.ballot)
    })
  }
}
