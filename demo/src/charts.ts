/**
 * Hand-drawn SVG charts of statistics over proposals: outcomes per algorithm (approval rate and
 * timeouts) and the time each proposal took to decide. Plain strings into a viewBox, so they scale.
 */
import type { Decision, RunoffRound } from './sim/protocol.js'

/** One decided proposal, as the charts see it. */
export interface ProposalRecord {
  /** 1-based running number */
  n: number
  algorithm: string
  decision: Decision
  durationMs: number
  agents: number
}

const ORDER = ['quorum', 'weighted', 'supermajority', 'unanimous']

/** Text safe inside SVG. */
export function escapeXml (text: string): string {
  return text.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

/** Milliseconds as people read them. */
export function formatMs (ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** Stacked bars, one row per algorithm: approved / rejected / timeout shares, with counts. */
export function outcomesChart (records: ProposalRecord[]): string {
  const names = [...new Set(records.map(r => r.algorithm))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  if (names.length === 0) return empty('Outcomes per algorithm appear here')
  const rowH = 28
  // wide enough for the longest name drawn (expert_weighted, ranked-choice): ~8 px a character of the 12.5 px bold label
  const labelW = Math.max(112, 8 + Math.ceil(8 * Math.max(...names.map(name => name.length))))
  const barW = 158
  const width = labelW + barW + 100
  const height = names.length * rowH + 8
  const rows = names.map((name, i) => {
    const mine = records.filter(r => r.algorithm === name)
    const counts = { approved: 0, rejected: 0, timeout: 0 }
    for (const r of mine) counts[r.decision]++
    let x = labelW
    const y = 6 + i * rowH
    const segments = (['approved', 'rejected', 'timeout'] as const).map(decision => {
      const w = (counts[decision] / mine.length) * barW
      const fill = `var(--${decision === 'approved' ? 'for' : decision === 'rejected' ? 'against' : 'timeout'})`
      const rect = w > 0
        ? `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="18" rx="3" fill="${fill}"><title>${counts[decision]} ${decision}</title></rect>`
        : ''
      x += w
      return rect
    }).join('')
    const rate = Math.round(100 * counts.approved / mine.length)
    const timeouts = counts.timeout > 0 ? ` · ${counts.timeout} t/o` : ''
    return `<text x="0" y="${y + 13}" class="chart-label">${escapeXml(name)}</text>` +
      `<rect class="chart-track" x="${labelW}" y="${y}" width="${barW}" height="18" rx="3" fill="var(--track)"/>${segments}` +
      `<text x="${labelW + barW + 8}" y="${y + 13}" class="chart-value">${rate}% of ${mine.length}${timeouts}</text>`
  }).join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="outcomes per algorithm">${rows}</svg>`
}

/** One bar per recent proposal: how long it took, coloured by its decision. */
export function durationsChart (records: ProposalRecord[], keep = 24): string {
  const recent = records.slice(-keep)
  if (recent.length === 0) return empty('Time to decision per proposal appears here')
  const width = 370
  const height = 140
  const left = 54
  const bottom = 20
  const top = 8
  const max = niceMax(Math.max(...recent.map(r => r.durationMs)))
  const slot = (width - left) / keep
  const barW = Math.max(4, slot * 0.7)
  const y = (ms: number): number => top + (height - top - bottom) * (1 - ms / max)
  const grid = [0, 0.5, 1].map(f => {
    const gy = y(max * f)
    return `<line x1="${left}" x2="${width}" y1="${gy.toFixed(1)}" y2="${gy.toFixed(1)}" class="chart-grid"/>` +
      `<text x="${left - 6}" y="${(gy + 4).toFixed(1)}" class="chart-axis" text-anchor="end">${formatMs(max * f)}</text>`
  }).join('')
  const bars = recent.map((r, i) => {
    const x = left + i * slot + (slot - barW) / 2
    const by = y(r.durationMs)
    const colour = r.decision === 'approved' ? 'var(--for)' : r.decision === 'rejected' ? 'var(--against)' : 'var(--timeout)'
    const label = i === 0 || i === recent.length - 1 || r.n % 5 === 0
      ? `<text x="${(x + barW / 2).toFixed(1)}" y="${height - 5}" class="chart-axis" text-anchor="middle">#${r.n}</text>`
      : ''
    const barH = Math.max(1.5, height - bottom - by)
    return `<rect x="${x.toFixed(1)}" y="${by.toFixed(1)}" width="${barW.toFixed(1)}" height="${barH.toFixed(1)}" rx="2" fill="${colour}">` +
      `<title>#${r.n} ${escapeXml(r.algorithm)}: ${r.decision} in ${formatMs(r.durationMs)} (${r.agents} agents)</title></rect>${label}`
  }).join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="time to decision per proposal">${grid}${bars}</svg>`
}

function rank (name: string): number {
  const i = ORDER.indexOf(name)
  return i === -1 ? ORDER.length : i
}

function niceMax (value: number): number {
  if (!(value > 0)) return 100
  const step = Math.pow(10, Math.floor(Math.log10(value)))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step
  return 10 * step
}

function empty (text: string): string {
  return `<svg viewBox="0 0 370 40" role="img"><text x="185" y="24" class="chart-axis" text-anchor="middle">${escapeXml(text)}</text></svg>`
}

/** The fill of choice `index` (1-based): the theme's `--c1` … `--c6`, reused after six. */
export const choiceFill = (index: number): string => `var(--c${((index - 1) % 6) + 1})`

const score = (value: number): string => Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : 2)

/**
 * One bar per choice, longest for the best score: its place in the ranking, its name, its score. The
 * winner's bar is drawn in its choice colour with a "winner" tag; the others muted. Each bar carries
 * `data-choice`, `data-score` and `data-rank`, so what is drawn can be checked as text.
 */
export function choiceBars (choices: string[], scores: number[], winner: number | null, ranking: number[]): string {
  if (choices.length === 0) return empty('Scores per choice appear here')
  const rowH = 26
  const labelW = 110
  const barW = 190
  const width = labelW + barW + 110
  const height = choices.length * rowH + 6
  const max = Math.max(...scores, 0) || 1
  const rows = choices.map((name, i) => {
    const index = i + 1
    const value = scores[i] ?? 0
    const place = ranking.indexOf(index) + 1
    const y = 4 + i * rowH
    const w = Math.max(value > 0 ? 2 : 0, (value / max) * barW)
    const won = winner === index
    const fill = won ? choiceFill(index) : `color-mix(in srgb, ${choiceFill(index)} 45%, var(--track))`
    const tag = won ? ' · winner' : ''
    return `<g class="choice-bar${won ? ' won' : ''}" data-choice="${index}" data-score="${value}" data-rank="${place}">` +
      `<text x="0" y="${y + 13}" class="chart-label">${place}. ${escapeXml(name.slice(0, 16))}</text>` +
      `<rect x="${labelW}" y="${y}" width="${barW}" height="18" rx="3" fill="var(--track)"/>` +
      `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="18" rx="3" fill="${fill}"><title>${escapeXml(name)}: ${score(value)}</title></rect>` +
      `<text x="${labelW + barW + 8}" y="${y + 13}" class="chart-value">${score(value)}${tag}</text></g>`
  }).join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="scores per choice">${rows}</svg>`
}

/**
 * Instant runoff, one row per round: a stacked bar of first preferences per remaining choice (in
 * choice colours, scaled to the round's ballots), the choice eliminated after that round named
 * and struck at the right. Rows carry `data-round` and `data-eliminated`.
 */
export function runoffChart (choices: string[], rounds: RunoffRound[]): string {
  if (rounds.length === 0) return empty('Instant-runoff rounds appear here')
  const rowH = 26
  const labelW = 64
  const barW = 220
  const width = labelW + barW + 110
  const height = rounds.length * rowH + 6
  const rows = rounds.map((round, r) => {
    const y = 4 + r * rowH
    const total = round.tallies.reduce((a, b) => a + b, 0) || 1
    let x = labelW
    const segments = round.tallies.map((t, i) => {
      const w = (t / total) * barW
      const rect = w > 0
        ? `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${choiceFill(i + 1)}"` +
          `${round.eliminated === i + 1 ? ' class="eliminated" stroke="var(--against)" stroke-width="2"' : ''}>` +
          `<title>round ${r + 1}: ${escapeXml(choices[i] ?? `#${i + 1}`)} ${score(t)}</title></rect>` +
          (w > 26 ? `<text x="${(x + w / 2).toFixed(1)}" y="${y + 13}" class="chart-axis on-bar" text-anchor="middle">${score(t)}</text>` : '')
        : ''
      x += w
      return rect
    }).join('')
    const out = round.eliminated === null
      ? '<tspan class="chart-value">final</tspan>'
      : `✕ <tspan text-decoration="line-through">${escapeXml((choices[round.eliminated - 1] ?? `#${round.eliminated}`).slice(0, 12))}</tspan>`
    return `<g class="runoff-round" data-round="${r + 1}" data-eliminated="${round.eliminated ?? ''}">` +
      `<text x="0" y="${y + 13}" class="chart-label">round ${r + 1}</text>` +
      `<rect x="${labelW}" y="${y}" width="${barW}" height="18" rx="3" fill="var(--track)"/>${segments}` +
      `<text x="${labelW + barW + 8}" y="${y + 13}" class="chart-axis">${out}</text></g>`
  }).join('')
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="instant-runoff rounds">${rows}</svg>`
}

/**
 * The rounds an instant runoff went through, from its per-round tallies: after each round but the
 * last, the lowest remaining choice (the lower index on a tie) goes.
 */
export function runoffRounds (tallies: number[][]): RunoffRound[] {
  const alive = new Set((tallies[0] ?? []).map((_, i) => i + 1))
  return tallies.map((round, r) => {
    if (r === tallies.length - 1) return { tallies: round, eliminated: null }
    let bottom: number | null = null
    for (const c of [...alive].sort((a, b) => a - b)) if (bottom === null || (round[c - 1] ?? 0) < (round[bottom - 1] ?? 0)) bottom = c
    if (bottom !== null) alive.delete(bottom)
    return { tallies: round, eliminated: bottom }
  })
}
