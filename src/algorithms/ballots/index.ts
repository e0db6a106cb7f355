/**
 * Ballots over choices, scored like Snapshot's six voting types, decided exactly: pure functions, no
 * clock, no randomness, no I/O, the same result on every JS engine.
 */
export { ballotProblem, isValidBallot, checkChoices } from './validate.js'
export {
  evaluateBallots, parseRule, ruleParams, snapshotScores, type BallotEvaluation, type BallotRule, type BallotRuleInit, type CountedBallot, type SnapshotScores
} from './rule.js'
export { isqrt, shareUnits } from './exact.js'
export type { IrvRound } from './score.js'
