/**
 * Hand-drawn SVG charts of statistics over proposals: outcomes per algorithm (approval rate and
 * timeouts) and the time each proposal took to decide. Plain strings into a viewBox, so they scale.
 */
import type { Decision } from './sim/protocol.js'

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
  const labelW = 100
  const barW = 170
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
      `<rect x="${labelW}" y="${y}" width="${barW}" height="18" rx="3" fill="var(--track)"/>${segments}` +
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
