/**
 * RCTab's generic_csv_test cast-vote record (../shared/vectors/rctab) as full rankings over its named
 * candidates, for the instant-runoff tests.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The candidates (Write-In dropped) and one full ranking per ballot, 1-based indices into `candidates`. */
export function readRctabRankings (dir: string): { candidates: string[], rankings: number[][] } {
  const rows = readFileSync(path.join(dir, 'generic_csv_test_cvr.csv'), 'utf8').trim().split(/\r?\n/).map(line => line.split(','))
  const header = rows[0] as string[]
  // columns 4.. are candidates; RCTab eliminates the undeclared Write-In first whatever its count, which is the same as never listing it
  const candidates = header.slice(3).filter(c => c !== 'Write-In')
  const rankings = rows.slice(1).map(row => {
    const ranked = candidates.map((name, i) => ({ choice: i + 1, rank: row[header.indexOf(name)] ?? '' }))
      .filter(r => r.rank !== '').sort((a, b) => Number(a.rank) - Number(b.rank)).map(r => r.choice)
    // A ballot's appended (unranked) choices come after every choice it ranks, so they could only count once all of those
    // are eliminated — the ballot would then be exhausted in RCTab. The report shows 0 exhausted ballots in every round
    // (test/voting-vectors.test.ts asserts it), so completing the rankings this way cannot change any tally.
    const unranked = candidates.map((_, i) => i + 1).filter(c => !ranked.includes(c))
    return [...ranked, ...unranked]
  })
  return { candidates, rankings }
}
