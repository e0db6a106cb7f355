/**
 * What the page and the simulation worker say to each other. The worker runs a SimulatedSwarm in
 * virtual time and only as far as the page asks (`advance`), so the page can pace it to a watchable
 * speed; everything it reports carries its virtual time `t`.
 */

import type { Ballot, VotingType } from '../../../src/index.js'
import type { Mark } from '../ballots.js'

/** A vote value. */
export type Choice = 'for' | 'against' | 'abstain'

export type { Mark }

/** A decision value. */
export type Decision = 'approved' | 'rejected' | 'timeout'

/** The algorithms the page offers. */
export type AlgorithmChoice = 'quorum' | 'weighted' | 'unanimous' | 'supermajority'

/** Who the simulated agents are. */
export type Population = 'crowd' | 'seed-personas'

/** How to build a simulated swarm. */
export interface SwarmSettings {
  agents: number
  seed: number
  loss: number
  latencyMs: [number, number]
  /** share of agents voting for (the rest votes against, some abstain) */
  support: number
  /** share of agents that never answer */
  silent: number
  population: Population
}

/** One proposal to run. */
export interface ProposeRequest {
  algorithm: AlgorithmChoice | 'expert_weighted'
  /** quorum and weighted only */
  threshold: number
  timeoutMs: number
  payload: Record<string, string | number | boolean>
  /** agent index of the coordinator; the first live agent when absent */
  coordinator?: number
  /** a label for the log, e.g. the scenario's title */
  label?: string
  /** a proposal over these choices (ballots of `votingType`) instead of a yes/no one */
  choices?: string[]
  votingType?: VotingType
}

/** Page → worker. */
export type ToWorker =
  | { type: 'build', settings: SwarmSettings }
  | { type: 'faults', loss: number, latencyMs: [number, number] }
  | { type: 'opinions', support: number, silent: number }
  | { type: 'propose', request: ProposeRequest }
  | { type: 'crash-coordinator' }
  | { type: 'advance', to: number }
  /** abandon the running proposal: the advance in progress stops, and the swarm is built afresh */
  | { type: 'cancel' }

/** A simulated agent as the page draws it. */
export interface AgentInfo {
  peerId: string
  name: string
  weight: number
}

/** A requester's (or, if it crashed, the first decider's) result, flattened for the page. */
export interface ResultSummary {
  proposalId: string
  label: string
  decision: Decision
  votesFor: number
  votesAgainst: number
  votesAbstain: number
  participants: number
  voters: number
  threshold: number
  algorithm: string
  durationMs: number
  certificateId: string | undefined
  weightedApproval: number | undefined
  /** agent index of the closer whose close was final */
  closer: number | undefined
  /** the closing round of that close (0: the coordinator's) */
  closeRound: number | undefined
  /** the round whose acks decided, and how: every member's round-0 prevote, or > 2/3 precommits */
  decidedRound: number | undefined
  path: 'fast' | 'precommit' | undefined
  /** whose result this is */
  reportedBy: number
  /** a proposal with choices: what the result says of them */
  ballots?: BallotSummary
}

/** One instant-runoff round as drawn: the tally per choice and the choice eliminated after it (null in the last round). */
export interface RunoffRound { tallies: number[], eliminated: number | null }

/** A result over choices, as the page draws it. */
export interface BallotSummary {
  votingType: VotingType
  choices: string[]
  scores: number[]
  winner: number | null
  ranking: number[]
  /** weight of the ballots naming a choice, and of every ballot (abstentions too) */
  scoresTotal: number
  turnout: number
  /** ranked-choice: the instant-runoff rounds */
  rounds?: RunoffRound[]
}

/** Something that happened in the swarm, at virtual time `t` (or `t0`…`t1` for a message). */
export type SimEvent =
  | {
    k: 'proposal'
    t: number
    id: string
    label: string
    coordinator: number
    closers: number[]
    algorithm: string
    deadline: number
    electorate: number
    threshold: number
    /** empty for a yes/no proposal */
    choices: string[]
  }
  /** a message worth drawing: the proposal going out, votes and acks reaching the coordinator, closes going out */
  | {
    k: 'msg'
    t: number
    t0: number
    kind: 'proposal' | 'vote' | 'close' | 'ack'
    from: number
    to: number
    dropped: boolean
    choice?: Mark
    decision?: Decision
  }
  | { k: 'received', t: number, agent: number }
  | { k: 'voted', t: number, agent: number, choice: Mark, ballot: Ballot }
  /**
   * a closer counted a vote (the running tally); a changed ballot replaces the voter's earlier one.
   * `late`: it came after that closer's own close left, so no certificate of its counts it
   */
  | { k: 'counted', t: number, at: number, voter: number, choice: Mark, late: boolean }
  | { k: 'decided', t: number, agent: number, decision: Decision, certificateId: string | undefined }
  | { k: 'result', t: number, result: ResultSummary }
  /** every live agent decided, or the proposal's horizon passed */
  | { k: 'settled', t: number, proposalId: string, live: number, decided: number, agreeing: number }
  | { k: 'crash', t: number, agent: number }
  | { k: 'restart', t: number, agent: number }

/** Network counters since the swarm was built. */
export interface Counters {
  sent: number
  delivered: number
  dropped: number
}

/** Worker → page. */
export type FromWorker =
  | { type: 'built', t: number, agents: AgentInfo[], settings: SwarmSettings }
  /** `done`: the requested advance is complete (otherwise a progress report in the middle of it) */
  | { type: 'events', now: number, events: SimEvent[], open: boolean, done: boolean, counters: Counters, decided: number }
  /** the settings the worker runs with now (after a change of faults) */
  | { type: 'settings', settings: SwarmSettings }
  | { type: 'error', message: string }
