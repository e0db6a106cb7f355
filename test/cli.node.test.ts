/**
 * The `libp2p-consensus` command line, run from the sources (tsx) as child processes: a hub prints
 * its address; a terminal agent and a proposal made against it reach a decision the hub prints too;
 * bad input exits non-zero with one line saying what was wrong; Ctrl-C stops the hub cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../src/cli/index.js'
import { loadOrCreateKey } from '../src/cli/key-file.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'src/cli/bin.ts')

interface Running {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** resolves with the first match of `pattern` in stdout */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

const children: ChildProcess[] = []

/** Start the CLI from the sources on this Node (24), through tsx's loader. */
function startCli (args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const exited = new Promise<number | null>(resolve => { child.on('exit', (code) => { resolve(code) }) })
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + timeoutMs
    for (;;) {
      const match = out.match(pattern)
      if (match !== null) return match
      if (child.exitCode !== null || Date.now() > until) {
        throw new Error(`no ${String(pattern)} in the output of \`${args.join(' ')}\` (exit ${String(child.exitCode)}):\n${out}\n${err}`)
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  return { child, stdout: () => out, stderr: () => err, waitFor, exited }
}

/** Run the CLI to completion. */
async function runCli (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const run = startCli(args)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

describe('libp2p-consensus CLI', () => {
  let dir: string
  let hub: Running
  let hubAddr: string
  let hubId: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'libp2p-consensus-cli-'))
    hub = startCli(['hub', '--port', '0', '--vote', 'for', '--key-file', join(dir, 'hub.key')])
    const match = await hub.waitFor(/^ {2}(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/(\w+))$/m)
    hubAddr = match[1] as string
    hubId = match[2] as string
  }, 60_000)

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('hub prints a dialable multiaddr, and the peer id of the key it created', async () => {
    expect(hub.stdout()).toContain(`created a new hub key in ${join(dir, 'hub.key')}`)
    const { privateKey } = await loadOrCreateKey(join(dir, 'hub.key'))
    expect(peerIdFromPrivateKey(privateKey).toString()).toBe(hubId)
    // the hints are copied into a shell by someone following the README, where the command is `npx libp2p-consensus`
    expect(hub.stdout()).toContain(`\na terminal agent:  npx libp2p-consensus agent --hub ${hubAddr}\n`)
    expect(hub.stdout()).toContain(`\na proposal:        npx libp2p-consensus propose --hub ${hubAddr} '{"action":"deploy"}'\n`)
  })

  it('an agent and a proposal against the hub reach a decision that all three print', async () => {
    const agent = startCli(['agent', '--hub', hubAddr, '--vote', 'against'])
    const agentId = (await agent.waitFor(/^agent (\w+) joined/m))[1] as string
    await hub.waitFor(new RegExp(`\\+ agent ${agentId} joined`))
    // the hub votes for, the agent against: only the agent's vote makes a unanimous proposal fail
    const proposed = await runCli([
      'propose', '--hub', hubAddr, '{"action":"deploy","replicas":3}', '--algorithm', 'unanimous', '--timeout', '10000', '--json'
    ])
    expect(proposed.stderr).not.toContain('error')
    expect(proposed.code).toBe(0)
    const result = JSON.parse(proposed.stdout)
    expect(result).toMatchObject({ decision: 'rejected', algorithmUsed: 'unanimous', votesAgainst: 1, payload: { action: 'deploy', replicas: 3 } })
    expect(result.participants).toEqual(expect.arrayContaining([hubId, agentId]))
    expect(result.certificateId).toMatch(/^[0-9a-f]{64}$/)
    expect(typeof result.certificate).toBe('string')
    const cert = result.certificateId.slice(0, 8)
    const line = new RegExp(`REJECTED {2}${result.proposalId.slice(0, 8)} {2}unanimous .* cert ${cert} {2}\\{"action":"deploy","replicas":3\\}`)
    await hub.waitFor(line)
    await agent.waitFor(line)
    expect(agent.stdout()).toContain(`voted against on ${result.proposalId.slice(0, 8)}`)
    agent.child.kill('SIGINT')
    expect(await agent.exited).toBe(0)
    await hub.waitFor(new RegExp(`- agent ${agentId} left`))
  })

  it('refuses bad input with one line saying what was expected, exit code 2', async () => {
    const [badJson, badAlgorithm, noHub, badThreshold] = await Promise.all([
      runCli(['propose', '--hub', hubAddr, '{action: deploy}']),
      runCli(['propose', '--hub', hubAddr, '{}', '--algorithm', 'majority']),
      runCli(['propose', '{}']),
      runCli(['propose', '--hub', hubAddr, '{}', '--algorithm', 'unanimous', '--threshold', '0.7'])
    ])
    for (const run of [badJson, badAlgorithm, noHub, badThreshold]) {
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/)
    }
    expect(badJson.stderr).toMatch(/not valid JSON .*expected an object such as '\{"action":"deploy"\}'/)
    expect(badAlgorithm.stderr).toContain('unknown algorithm "majority"; expected one of quorum, weighted, unanimous, supermajority')
    expect(noHub.stderr).toContain("required option '--hub <multiaddr>' not specified")
    expect(badThreshold.stderr).toContain('--threshold applies to quorum and weighted')
  })

  it('says so and exits 1 when the hub cannot be reached', async () => {
    // the hub's own address with the port of nothing: a closed port on this machine
    const nowhere = hubAddr.replace(/\/tcp\/\d+\//, '/tcp/9/')
    const run = await runCli(['propose', '--hub', nowhere, '{"action":"deploy"}'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error: cannot reach the hub .*Is `libp2p-consensus hub` running there/)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('with --json, every error is one JSON line {"error", "code"} on stderr, with the same exit codes', async () => {
    const nowhere = hubAddr.replace(/\/tcp\/\d+\//, '/tcp/9/')
    const hubPort = hubAddr.split('/')[4] as string
    const runs = await Promise.all([
      runCli(['propose', '--hub', hubAddr, '{action: deploy}', '--json']),
      runCli(['propose', '--json', '--hub', hubAddr, '{}', '--algorithm', 'majority']),
      runCli(['propose', '{}', '--json']),
      runCli(['propose', '--hub', hubAddr, '{}', '--algorithm', 'unanimous', '--threshold', '0.7', '--json']),
      runCli(['agent', '--hub', hubAddr, '--bogus', '--json']),
      runCli(['hub', '--port', 'ninety', '--json']),
      runCli(['propose', '--hub', nowhere, '{"action":"deploy"}', '--json']),
      runCli(['hub', '--port', hubPort, '--json'])
    ])
    const expected = [
      [2, 'commander.invalidArgument', /not valid JSON .*expected an object such as '\{"action":"deploy"\}'/],
      [2, 'commander.invalidArgument', /unknown algorithm "majority"; expected one of quorum, weighted, unanimous, supermajority/],
      [2, 'commander.missingMandatoryOptionValue', /^required option '--hub <multiaddr>' not specified$/],
      [2, 'libp2p-consensus.usage', /--threshold applies to quorum and weighted/],
      [2, 'commander.unknownOption', /^unknown option '--bogus'$/],
      [2, 'commander.invalidArgument', /expected a whole number from 0 to 65535, got "ninety"/],
      [1, 'HubUnreachableError', /^cannot reach the hub .*Is `libp2p-consensus hub` running there/],
      [1, 'EADDRINUSE', new RegExp(`^port ${hubPort} on 127\\.0\\.0\\.1 is already in use`)]
    ] as const
    for (const [i, run] of runs.entries()) {
      const [code, name, message] = expected[i] as typeof expected[number]
      expect(run.code, run.stderr).toBe(code)
      expect(run.stdout).toBe('')
      expect(run.stderr.endsWith('\n')).toBe(true)
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
      const error = JSON.parse(run.stderr)
      expect(Object.keys(error).sort()).toEqual(['code', 'error'])
      expect(error.code).toBe(name)
      expect(error.error).toMatch(message)
    }
  })

  it('--min-peers waits for peers only as long as --timeout, then says how many came', async () => {
    const started = Date.now()
    // one voter (the hub) is on the topic: five never come
    const run = await runCli(['propose', '--hub', hubAddr, '{"action":"deploy"}', '--min-peers', '5', '--timeout', '1000', '--json'])
    // the wait was a fixed 15 s before it honoured --timeout: a run that waited so would take longer
    // than 15 s; starting the CLI through tsx takes 2-3 s alone, more on a loaded machine
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    const error = JSON.parse(run.stderr)
    expect(error.code).toBe('NotEnoughPeersError')
    expect(error.error).toMatch(/^only 1 of the 5 peers asked for \(--min-peers\) were on the topic after 1000 ms \(--timeout\)/)
  })

  it('stops the hub on Ctrl-C', async () => {
    hub.child.kill('SIGINT')
    expect(await hub.exited).toBe(0)
    expect(hub.stdout()).toMatch(/SIGINT: stopping the hub/)
  })
})

describe('ballots over choices', () => {
  let hubAddr: string
  const agents: Running[] = []

  beforeAll(async () => {
    // a hub that does not vote: the electorate is the agents below
    const hub = startCli(['hub', '--port', '0'])
    hubAddr = (await hub.waitFor(/^ {2}(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\w+)$/m))[1] as string
    for (const vote of ['1,2,3', '2,1,3', '3,2,1', 'for']) agents.push(startCli(['agent', '--hub', hubAddr, '--vote', vote]))
    agents.push(startCli(['agent', '--hub', hubAddr, '--vote', '2,1,3', '--json']))
    for (const agent of agents) await agent.waitFor(/^agent \w+ joined|^\{"event":"ready"/m)
    await hub.waitFor(/\(5 connected\)/)
  }, 60_000)

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('propose --choices --voting-type ranked-choice: agents vote their rankings and the instant runoff picks the winner', async () => {
    // rankings 1>2>3, 2>1>3, 3>2>1 and 2>1>3: round 1 gives sushi 2 of 4 (no majority); pizza and tacos tie last and
    // pizza, the lower index, goes out; its ballot moves to sushi, 3 of 4. Plurality with the same tie-break would also pick sushi,
    // but the rounds and the final tallies (sushi 3, tacos 1, pizza 0) are the runoff's
    const args = ['propose', '--hub', hubAddr, '--choices', 'pizza,sushi', '--choices', 'tacos', '--voting-type', 'ranked-choice', '--min-peers', '5']
    const [json, text] = await Promise.all([
      runCli([...args, '--timeout', '3000', '{"lunch":"friday"}', '--json']),
      runCli([...args, '--timeout', '3000', '{"lunch":"saturday"}'])
    ])
    expect(json.code, json.stderr).toBe(0)
    const result = JSON.parse(json.stdout)
    expect(result).toMatchObject({ decision: 'approved', choices: ['pizza', 'sushi', 'tacos'], winner: 2, ranking: [2, 3, 1], votesFor: 4, scores: [0, 3, 1] })
    expect(result.algorithmUsed).toBe('ranked-choice')
    expect(result.metadata.irvRounds).toEqual([[1, 2, 1], [0, 3, 1]])
    expect(result.participants).toHaveLength(5)

    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^APPROVED {2}\w{8} {2}ranked-choice {2}winner 2 "sushi" {2}ballots 4 · abstain 0 of 5 /m)
    expect(text.stdout).toMatch(/^ {2}★ 2 sushi {2}█{24} {2}3$/m)
    expect(text.stdout).toMatch(/^ {4}3 tacos {2}█{8}░{16} {2}1$/m)
    expect(text.stdout).toMatch(/^ {4}1 pizza {2}░{24} {2}0$/m)
    expect(text.stdout).toContain('ranking: 2 "sushi" > 3 "tacos" > 1 "pizza"')
    expect(text.stdout).toMatch(/^ {2}round 1: pizza 1 · sushi 2 · tacos 1 {2}→ pizza out\n {2}round 2: sushi 3 · tacos 1$/m)

    // the agent voting `for` cannot rank: it says so and stays up; the --json one prints its ranking
    const [, , , misfit, jsonAgent] = agents as [Running, Running, Running, Running, Running]
    await misfit.waitFor(new RegExp(`not voting on ${result.proposalId.slice(0, 8)}: --vote for does not fit a ranked-choice proposal: it takes a ranking`))
    expect(misfit.child.exitCode).toBe(null)
    await agents[1]?.waitFor(new RegExp(`voted 2,1,3 on ${result.proposalId.slice(0, 8)}`))
    const vote = (await jsonAgent.waitFor(new RegExp(`^\\{"event":"vote","proposalId":"${result.proposalId as string}".*$`, 'm')))[0]
    expect(JSON.parse(vote).vote).toEqual([2, 1, 3])
  }, 60_000)

  it('a binary proposal still takes for/against/abstain; agents with rankings sit it out', async () => {
    const run = await runCli(['propose', '--hub', hubAddr, '{"action":"deploy"}', '--min-peers', '5', '--timeout', '3000', '--json'])
    const result = JSON.parse(run.stdout)
    expect(result.votesFor).toBe(1)
    expect(result.choices).toBeUndefined()
    const id = (result.proposalId as string).slice(0, 8)
    await agents[0]?.waitFor(new RegExp(`not voting on ${id}: --vote 1,2,3 is a ballot over choices, and this proposal is binary`))
    await agents[3]?.waitFor(new RegExp(`voted for on ${id}`))
  }, 60_000)

  it('refuses a bad --voting-type, --vote or rule flag with one line naming the flag, exit code 2', async () => {
    const runs = await Promise.all([
      runCli(['propose', '--hub', hubAddr, '{}', '--choices', 'a,b', '--voting-type', 'borda']),
      runCli(['agent', '--hub', hubAddr, '--vote', 'first']),
      runCli(['agent', '--hub', hubAddr, '--vote', '2,2,1', '--json']),
      runCli(['propose', '--hub', hubAddr, '{}', '--choices', 'a,b', '--quorum-type', 'rejection', '--quorum', '0.3']),
      runCli(['propose', '--hub', hubAddr, '{}', '--voting-type', 'approval', '--json']),
      runCli(['propose', '--hub', hubAddr, '{}', '--choices', 'a,b,a'])
    ])
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr.trim().split('\n')).toHaveLength(1)
    }
    const [type, word, twice, rejection, noChoices, sameChoice] = runs as Array<typeof runs[number]>
    expect(type?.stderr).toContain(
      "option '--voting-type <type>' argument 'borda' is invalid. unknown voting type \"borda\"; expected one of single-choice, approval, ranked-choice"
    )
    expect(word?.stderr).toContain("option '--vote <ballot>' argument 'first' is invalid. expected for, against, abstain, a choice index (2), a list")
    const badBallot = expect.stringMatching(/--vote <ballot>.*lists choice 2 twice/)
    expect(JSON.parse(twice?.stderr ?? '')).toEqual({ code: 'commander.invalidArgument', error: badBallot })
    expect(rejection?.stderr).toContain('--quorum-type rejection needs --reject-choice')
    expect(JSON.parse(noChoices?.stderr ?? '')).toEqual({
      code: 'libp2p-consensus.usage',
      error: expect.stringMatching(/^--voting-type applies to a ballot over choices: pass --choices/)
    })
    expect(sameChoice?.stderr).toContain('choice "a" is listed twice')
  }, 60_000)

  it('an agent stopped with Ctrl-C says it is leaving: the others print that it left within seconds, not after the 17 s presence TTL', async () => {
    const leaving = agents[3]!
    const id = (await leaving.waitFor(/^agent (\w+) joined/m))[1] as string
    const started = Date.now()
    leaving.child.kill('SIGINT')
    // the others are connected to the hub alone: they learn it from its signed leave, not from a closed connection
    const json = JSON.parse((await agents[4]!.waitFor(new RegExp(`^\\{"event":"absent","peerId":"${id}".*$`, 'm'), 5_000))[0])
    expect(json).toEqual({ event: 'absent', peerId: id, voter: true, reason: 'left' })
    await agents[1]!.waitFor(new RegExp(`…${id.slice(-8)} left$`, 'm'), 5_000)
    expect(Date.now() - started).toBeLessThan(5_000)
  }, 30_000)
})

describe('hub --json', () => {
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('prints its start, each join, leave and decision as one JSON object per line and nothing else', async () => {
    const hub = startCli(['hub', '--port', '0', '--vote', 'for', '--json'])
    const events = (): Array<Record<string, any>> => hub.stdout().split('\n').filter(line => line !== '').map(line => JSON.parse(line))
    await hub.waitFor(/^\{"event":"ready".*\}$/m)
    const ready = events()[0] as Record<string, any>
    expect(ready).toMatchObject({ event: 'ready', namespace: 'default', vote: 'for' })
    const hubAddr = (ready.multiaddrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) as string
    expect(hubAddr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/ws/p2p/${ready.peerId as string}$`))

    const agent = startCli(['agent', '--hub', hubAddr, '--vote', 'for', '--json'])
    const agentId = JSON.parse((await agent.waitFor(/^\{"event":"ready".*\}$/m))[0]).peerId as string
    await hub.waitFor(new RegExp(`^\\{"event":"join","peerId":"${agentId}","agents":\\d+\\}$`, 'm'))
    const proposed = await runCli(['propose', '--hub', hubAddr, '{"action":"deploy"}', '--algorithm', 'unanimous', '--timeout', '10000', '--json'])
    expect(proposed.code, proposed.stderr).toBe(0)
    const result = JSON.parse(proposed.stdout)
    expect(result.decision).toBe('approved')
    await hub.waitFor(new RegExp(`^\\{"event":"decision","proposalId":"${result.proposalId as string}"`, 'm'))
    agent.child.kill('SIGINT')
    expect(await agent.exited).toBe(0)
    await hub.waitFor(new RegExp(`^\\{"event":"leave","peerId":"${agentId}","agents":\\d+\\}$`, 'm'))
    hub.child.kill('SIGINT')
    expect(await hub.exited).toBe(0)

    // every line parses (events() throws otherwise); no banner, hints or timestamps in between
    const all = events()
    expect(all.map(e => e.event)).toEqual(expect.arrayContaining(['ready', 'join', 'proposal', 'decision', 'leave', 'stop']))
    expect(all.at(-1)).toMatchObject({ event: 'stop', signal: 'SIGINT' })
    expect(all.find(e => e.event === 'decision')).toMatchObject({
      decision: 'approved',
      algorithmUsed: 'unanimous',
      certificateId: result.certificateId,
      payload: { action: 'deploy' }
    })
    expect(hub.stderr()).toBe('')
  })
})

describe('hub key file', () => {
  it('is created once (mode 0600) and read back as the same key; a file of garbage is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'libp2p-consensus-key-'))
    try {
      const path = join(dir, 'nested', 'hub.key')
      const first = await loadOrCreateKey(path)
      const second = await loadOrCreateKey(path)
      expect(first.created).toBe(true)
      expect(second.created).toBe(false)
      expect(second.privateKey.equals(first.privateKey)).toBe(true)
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect((await readFile(path)).length).toBeGreaterThan(32)
      await writeFile(join(dir, 'garbage.key'), 'not a key')
      await expect(loadOrCreateKey(join(dir, 'garbage.key'))).rejects.toThrow(/does not hold a libp2p private key/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('program', () => {
  it('--help says --min-peers waits up to --timeout, and that hub takes --json', () => {
    const help = (name: string): string => {
      const command = buildProgram().commands.find(c => c.name() === name)
      return (command?.helpInformation() ?? '').replace(/\s+/g, ' ')
    }
    expect(help('propose')).toContain('--timeout <ms> how long to wait for the --min-peers agents, then how long votes are collected')
    expect(help('propose')).toContain('--min-peers <n> wait up to --timeout until this many voting agents are on the topic')
    expect(help('hub')).toContain('--json print one JSON object per line: {"event":"ready"|"join"|"leave"|"proposal"|"decision"|"stop"')
  })

  it('--help names the ballot flags: propose --choices, --voting-type and the rule; agent --vote takes a ballot', () => {
    const help = (name: string): string => (buildProgram().commands.find(c => c.name() === name)?.helpInformation() ?? '').replace(/\s+/g, ' ')
    for (const flag of ['--choices <list>', '--voting-type <type>', '--quorum <share>', '--quorum-type <type>', '--reject-choice <n>', '--tie-break <rule>',
      '--no-vote-change']) {
      expect(help('propose')).toContain(flag)
    }
    expect(help('propose')).toContain('single-choice, approval, ranked-choice, weighted, quadratic, copeland')
    expect(help('agent')).toContain('--vote <ballot> how to vote: for, against, abstain, a choice index (2), a list of indices (2,1,3) or shares (1:2,3:1)')
  })

  it('reports the version package.json has', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    expect(buildProgram().version()).toBe(pkg.version)
  })
})

describe('agents with names (agent --name, propose --participants / --weight by name)', () => {
  let hub: Running
  let hubAddr: string
  const ids = new Map<string, string>()

  beforeAll(async () => {
    hub = startCli(['hub', '--port', '0'])
    hubAddr = (await hub.waitFor(/^ {2}(\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\w+)$/m))[1] as string
  }, 60_000)

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('an agent announces --name and --role; others print it by name; propose picks and weighs agents by name', async () => {
    const expert = startCli(['agent', '--hub', hubAddr, '--vote', 'for', '--name', 'expert-backend-001', '--role', 'expert'])
    const juniors = ['agent-junior-001', 'agent-junior-002'].map(name => startCli(['agent', '--hub', hubAddr, '--vote', 'against', '--name', name, '--json']))
    ids.set('expert-backend-001', (await expert.waitFor(/^agent (\w+) joined \S+ as expert-backend-001 \(expert\) on namespace/m))[1] as string)
    for (const [i, junior] of juniors.entries()) {
      const ready = JSON.parse((await junior.waitFor(/^\{"event":"ready".*\}$/m))[0])
      expect(ready).toMatchObject({ event: 'ready', name: `agent-junior-00${i + 1}` })
      ids.set(ready.name, ready.peerId)
    }
    const tail = (name: string): string => (ids.get(name) as string).slice(-8)
    // the expert's terminal lists the juniors by name, the id's tail beside it
    for (const name of ['agent-junior-001', 'agent-junior-002']) await expert.waitFor(new RegExp(`\\] ${name} \\(…${tail(name)}\\) is here$`, 'm'))
    // …and a junior's --json has the expert's presence
    const present = await juniors[0]!.waitFor(/^\{"event":"present","peerId":"\w+","name":"expert-backend-001".*\}$/m)
    expect(JSON.parse(present[0])).toEqual({ event: 'present', peerId: ids.get('expert-backend-001'), name: 'expert-backend-001', role: 'expert', voter: true })

    // weighed by name, the expert's 3 of 5 is more than half: approved; a head count of the same votes (1 of 3) is not
    const participants = ['--participants', 'expert-backend-001,agent-junior-001,agent-junior-002']
    const weighted = await runCli(['propose', '--hub', hubAddr, '{"action":"migrate"}', ...participants, '--weight', 'expert-backend-001=3',
      '--algorithm', 'weighted', '--threshold', '0.5', '--timeout', '10000', '--name', 'release-bot', '--json'])
    expect(weighted.code, weighted.stderr).toBe(0)
    const result = JSON.parse(weighted.stdout)
    expect(result.decision).toBe('approved')
    expect(result.participants).toEqual([...ids.values()].sort())
    expect(result.names).toEqual(Object.fromEntries([...ids].map(([name, id]) => [id, name])))
    // every agent printed the proposal by the terminal's name
    await expert.waitFor(new RegExp(`proposal ${(result.proposalId as string).slice(0, 8)} by release-bot \\(…\\w{8}\\)`))

    const headCount = await runCli(['propose', '--hub', hubAddr, '{"action":"migrate"}', ...participants, '--algorithm', 'quorum', '--timeout', '10000'])
    expect(headCount.code, headCount.stderr).toBe(0)
    expect(headCount.stdout).toMatch(/^REJECTED {2}/m)
    expect(headCount.stdout).toMatch(/^voters: .*agent-junior-00\d \(…\w{8}\).* — [23] of 3 eligible/m)
  })

  it('an unknown name is an error listing the names known; a bad --name is a usage error', async () => {
    const unknown = await runCli(['propose', '--hub', hubAddr, '{}', '--participants', 'expert-frontend-001', '--timeout', '2000'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/participants names "expert-frontend-001", which is not an Ed25519 PeerId nor a name .*; names known: .*expert-backend-001/)
    const bad = await runCli(['agent', '--hub', hubAddr, '--name', 'x'.repeat(65)])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('it must be 1 to 64 characters, got 65')
  })
})

describe('hub --peer', () => {
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('refuses an address that is not another hub\'s with exit code 2 and one line saying what it expected', async () => {
    const garbage = await runCli(['hub', '--port', '0', '--peer', 'hub-b:9090'])
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toMatch(/--peer <multiaddr>.*"hub-b:9090" is not a multiaddr; expected the address the hub prints/)
    const noId = await runCli(['hub', '--port', '0', '--peer', '/ip4/127.0.0.1/tcp/9090/ws'])
    expect(noId.code).toBe(2)
    expect(noId.stderr).toMatch(/does not end in \/p2p\/<peer id>/)
    expect(noId.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('links two hubs: a proposal made at one is decided by an agent behind the other, and both hubs print it', async () => {
    const first = startCli(['hub', '--port', '0', '--json'])
    const readyA = JSON.parse((await first.waitFor(/^\{"event":"ready".*\}$/m))[0])
    const addrA = (readyA.multiaddrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) as string
    const second = startCli(['hub', '--port', '0', '--json', '--peer', addrA])
    const readyB = JSON.parse((await second.waitFor(/^\{"event":"ready".*\}$/m))[0])
    expect(readyB.peers).toEqual([addrA])
    const addrB = (readyB.multiaddrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) as string
    // the link shows on both sides, as a hub, not as an agent
    await first.waitFor(new RegExp(`^\\{"event":"peer-join","peerId":"${readyB.peerId as string}","peers":1\\}$`, 'm'))
    await second.waitFor(new RegExp(`^\\{"event":"peer-join","peerId":"${readyA.peerId as string}","peers":1\\}$`, 'm'))

    const agent = startCli(['agent', '--hub', addrB, '--vote', 'for', '--json'])
    const agentId = JSON.parse((await agent.waitFor(/^\{"event":"ready".*\}$/m))[0]).peerId as string
    await second.waitFor(new RegExp(`^\\{"event":"join","peerId":"${agentId}"`, 'm'))
    // proposed through the first hub, to the default electorate: the agent behind the second
    const proposed = await runCli(['propose', '--hub', addrA, '{"action":"cross"}', '--algorithm', 'unanimous', '--min-peers', '1', '--timeout', '15000',
      '--json'])
    expect(proposed.code, proposed.stderr).toBe(0)
    const result = JSON.parse(proposed.stdout)
    expect(result.decision).toBe('approved')
    expect(result.voters).toContain(agentId)
    for (const hub of [first, second]) {
      const line = await hub.waitFor(new RegExp(`^\\{"event":"decision","proposalId":"${result.proposalId as string}".*\\}$`, 'm'))
      expect(JSON.parse(line[0]).certificateId).toBe(result.certificateId)
    }
    expect(first.stdout()).not.toContain(`"event":"join","peerId":"${readyB.peerId as string}"`)
    for (const run of [agent, second, first]) {
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(0)
    }
  }, 90_000)
})

describe('hub --name, and agents by name in its join lines', () => {
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })

  it('the hub prints an agent\'s announced name with its join or with the update after it, and in --json', async () => {
    const hub = startCli(['hub', '--port', '0', '--name', 'hub-eu-1', '--json'])
    const ready = JSON.parse((await hub.waitFor(/^\{"event":"ready".*\}$/m))[0])
    expect(ready).toMatchObject({ event: 'ready', name: 'hub-eu-1' })
    const hubAddr = (ready.multiaddrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) as string
    const agent = startCli(['agent', '--hub', hubAddr, '--name', 'expert-backend-001', '--role', 'expert', '--json'])
    const agentId = JSON.parse((await agent.waitFor(/^\{"event":"ready".*\}$/m))[0]).peerId as string
    const named = await hub.waitFor(
      new RegExp(`^\\{"event":"(join|update)","peerId":"${agentId}","name":"expert-backend-001","role":"expert","agents":1\\}$`, 'm')
    )
    expect(named[1]).toMatch(/join|update/)
    // the agent sees the hub by its name
    const present = JSON.parse((await agent.waitFor(/^\{"event":"present","peerId":"\w+","name":"hub-eu-1".*\}$/m))[0])
    expect(present).toEqual({ event: 'present', peerId: ready.peerId, name: 'hub-eu-1', voter: false })
    agent.child.kill('SIGINT')
    await hub.waitFor(new RegExp(`^\\{"event":"leave","peerId":"${agentId}","name":"expert-backend-001","role":"expert","agents":0\\}$`, 'm'))
    hub.child.kill('SIGINT')
    expect(await hub.exited).toBe(0)
  })
})
