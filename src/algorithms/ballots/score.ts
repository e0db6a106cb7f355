import { add, cmp, div, gcd, isqrt, mul, q, reduce, shareUnits, toNumber, type Q } from './exact.js'
import type { VotingType } from '../../types.js'

/** A valid ballot that names choices (not an abstention), with its voter's integer weight. */
export interface CastBallot { ballot: number | number[] | Record<string, number>, weight: number }

/** One instant-runoff round: the tally per choice (index 0 is choice 1; 0 once eliminated) and the choice eliminated after it. */
export interface IrvRound {
  /** weight per choice this round (index 0 is choice 1; 0 once eliminated) */
  tallies: number[]
  /** the choice (1-based) eliminated after this round; null after the last */
  eliminated: number | null
}

/** What scoring found, exactly (to decide) and as floats (to show). */
export interface Scored {
  /** per choice, in weight units: what the winner, threshold and quorum of rejection compare, exactly */
  exact: Q[]
  /** per choice: Snapshot's score, as a float */
  display: number[]
  /** quadratic: the fixed-point sums of square roots, 2^64 per unit (they order the choices) */
  roots?: bigint[]
  irvRounds?: IrvRound[]
  /** copeland: pairwise margin[i][j] = weight ranking i above j minus weight ranking j above i; victory points per choice */
  margins?: number[][]
  victories?: number[]
}

const ONE = 1n << 64n

/** The integer shares of a weighted or quadratic ballot, in 10⁻⁶ units, by choice index (0-based), and their sum. */
function shares (ballot: Record<string, number>, n: number): { units: bigint[], sum: bigint } {
  const units = new Array<bigint>(n).fill(0n)
  let sum = 0n
  for (const [key, share] of Object.entries(ballot)) {
    const u = shareUnits(share) as bigint
    units[Number(key) - 1] = u
    sum += u
  }
  return { units, sum }
}

function sums (n: number, cast: CastBallot[], credit: (b: CastBallot, add: (choice: number, weight: number) => void) => void): Q[] {
  const totals = new Array<number>(n).fill(0)
  for (const b of cast) credit(b, (choice, weight) => { totals[choice - 1] = (totals[choice - 1] as number) + weight })
  return totals.map(t => q(t))
}

/** Instant runoff as Snapshot counts it: stop when the leader has more than half the remaining ballots' weight or fewer than 3 choices remain. */
function irv (n: number, cast: CastBallot[]): IrvRound[] {
  let ballots = cast.map(b => ({ ranking: b.ballot as number[], weight: b.weight }))
  const rounds: IrvRound[] = []
  while (ballots.length > 0) {
    const tracked = new Set<number>()
    for (const b of ballots) for (const c of b.ranking) tracked.add(c)
    const tallies = new Array<number>(n).fill(0)
    let total = 0
    for (const b of ballots) {
      const first = b.ranking[0] as number
      tallies[first - 1] = (tallies[first - 1] as number) + b.weight
      total += b.weight
    }
    // the last: the lowest tally, the lowest index on a tie; the leader: the highest, the lowest index on a tie
    const order = [...tracked].sort((a, b) => a - b)
    let top = -Infinity
    let bottom = order[0] as number
    for (const c of order) {
      const t = tallies[c - 1] as number
      if (t > top) top = t
      if (t < (tallies[bottom - 1] as number)) bottom = c
    }
    const done = 2 * top > total || tracked.size < 3
    rounds.push({ tallies, eliminated: done ? null : bottom })
    if (done) break
    ballots = ballots.map(b => ({ ranking: b.ranking.filter(c => c !== bottom), weight: b.weight })).filter(b => b.ranking.length > 0)
  }
  return rounds
}

function copeland (n: number, cast: CastBallot[], total: number): Scored {
  const margins = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  const support = new Array<number>(n).fill(0)
  for (const { ballot, weight } of cast) {
    const ranking = ballot as number[]
    for (let a = 0; a < ranking.length; a++) {
      for (let b = a + 1; b < ranking.length; b++) {
        const hi = (ranking[a] as number) - 1
        const lo = (ranking[b] as number) - 1
        ;(margins[hi] as number[])[lo] = ((margins[hi] as number[])[lo] as number) + weight
        ;(margins[lo] as number[])[hi] = ((margins[lo] as number[])[hi] as number) - weight
        support[hi] = (support[hi] as number) + weight
      }
    }
  }
  // victory points: 2 per pairwise win, 1 per pairwise tie (each pair is met from both sides)
  const victories = new Array<number>(n).fill(0)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue
      const m = (margins[i] as number[])[j] as number
      if (m > 0) victories[i] = (victories[i] as number) + 1
      else if (m < 0) victories[j] = (victories[j] as number) + 1
      else { victories[i] = (victories[i] as number) + 0.5; victories[j] = (victories[j] as number) + 0.5 }
    }
  }
  // exact: victories are multiples of 1/2; the average-support bonus 0.5·support/((n − 1)·total) breaks ties only
  let raw = victories.map(v => q(Math.round(v * 2), 2))
  if (total > 0 && n > 1) raw = raw.map((v, i) => add(v, q(support[i] as number, 2 * (n - 1) * total)))
  const sum = raw.reduce(add, q(0))
  const exact = sum.n === 0n ? raw.map(() => q(total, n)) : raw.map(v => div(mul(v, q(total)), sum))
  return { exact, display: exact.map(toNumber), margins, victories }
}

function quadratic (n: number, cast: CastBallot[], total: number): Scored {
  const roots = new Array<bigint>(n).fill(0n)
  for (const { ballot, weight } of cast) {
    const { units, sum } = shares(ballot as Record<string, number>, n)
    units.forEach((u, i) => {
      if (u === 0n) return
      // ⌊2^64·√(w·s/S)⌋ = ⌊√(w·s·2^128/S)⌋ up to the floor of the argument: integers only, the same on every engine
      roots[i] = (roots[i] as bigint) + isqrt((BigInt(weight) * u * ONE * ONE) / sum)
    })
  }
  const squares = roots.map(r => r * r)
  const sumSquares = squares.reduce((a, b) => a + b, 0n)
  const exact = squares.map(s => sumSquares === 0n ? q(0) : { n: s * BigInt(total), d: sumSquares })
  // Snapshot's (Σ √(share·power))², rescaled to the valid power, from the fixed-point roots: within float rounding of
  // Snapshot's own float sums, and unlike a float sum the same whatever order the ballots arrive in (peers see different orders)
  return { exact, display: exact.map(toNumber), roots }
}

/** Score valid, non-abstaining ballots of `type` over `n` choices. `total` is their summed weight. */
export function score (type: VotingType, n: number, cast: CastBallot[]): Scored {
  const total = cast.reduce((t, b) => t + b.weight, 0)
  switch (type) {
    case 'single-choice': {
      const exact = sums(n, cast, (b, credit) => { credit(b.ballot as number, b.weight) })
      return { exact, display: exact.map(toNumber) }
    }
    case 'approval': {
      const exact = sums(n, cast, (b, credit) => { for (const c of b.ballot as number[]) credit(c, b.weight) })
      return { exact, display: exact.map(toNumber) }
    }
    case 'weighted': {
      // Σ w·s_i/S over one common denominator: ballots grouped by their share total S, then one lcm of the
      // distinct totals (adding ballot by ballot reduces ever larger fractions: seconds at 10³ decimal ballots)
      const groups = new Map<bigint, bigint[]>()
      for (const { ballot, weight } of cast) {
        const whole = shares(ballot as Record<string, number>, n)
        // in lowest terms ({1: 1, 2: 3} is 1/4, 3/4), so ballots with the same proportions share a group
        const g = whole.units.reduce((acc, u) => u === 0n ? acc : gcd(acc, u), whole.sum)
        const units = whole.units.map(u => u / g)
        const sum = whole.sum / g
        let sums = groups.get(sum)
        if (sums === undefined) groups.set(sum, sums = new Array<bigint>(n).fill(0n))
        units.forEach((u, i) => { if (u !== 0n) (sums as bigint[])[i] = ((sums as bigint[])[i] as bigint) + BigInt(weight) * u })
      }
      let d = 1n
      for (const sum of groups.keys()) d = d / gcd(d, sum) * sum
      const numerators = new Array<bigint>(n).fill(0n)
      for (const [sum, sums] of groups) sums.forEach((s, i) => { numerators[i] = (numerators[i] as bigint) + s * (d / sum) })
      const exact = numerators.map(num => reduce({ n: num, d }))
      return { exact, display: exact.map(toNumber) }
    }
    case 'quadratic':
      return quadratic(n, cast, total)
    case 'ranked-choice': {
      const irvRounds = irv(n, cast)
      const last = irvRounds[irvRounds.length - 1]?.tallies ?? new Array<number>(n).fill(0)
      return { exact: last.map(t => q(t)), display: [...last], irvRounds }
    }
    case 'copeland':
      return copeland(n, cast, total)
  }
}

/** Every choice (1-based) best first by exact score, the lower index first on a tie. */
export function rank (scored: Scored): number[] {
  const keys = scored.roots ?? scored.exact
  return keys.map((_, i) => i + 1).sort((a, b) => {
    const c = scored.roots !== undefined
      ? Number((scored.roots[b - 1] as bigint) > (scored.roots[a - 1] as bigint)) - Number((scored.roots[b - 1] as bigint) < (scored.roots[a - 1] as bigint))
      : cmp(scored.exact[b - 1] as Q, scored.exact[a - 1] as Q)
    return c !== 0 ? c : a - b
  })
}

/** Whether choice a (1-based) scores exactly as high as choice b. */
export function tied (scored: Scored, a: number, b: number): boolean {
  if (scored.roots !== undefined) return scored.roots[a - 1] === scored.roots[b - 1]
  return cmp(scored.exact[a - 1] as Q, scored.exact[b - 1] as Q) === 0
}
