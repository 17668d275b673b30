import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
import { validateHome } from '../../node/cli/config-validate.js'
import { init } from '../../node/cli/init.js'
import { homePaths } from '../../node/config.js'

describe('quorate config validate', () => {
  let dir: string
  let home: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-validate-'))
    home = join(dir, 'home')
    await init({ home, moniker: 'v0' })
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const problemsOf = async () => {
    const result = await validateHome(home)
    if (result.ok) throw new Error('expected problems')
    return result.problems
  }

  it('accepts the home `quorate init` writes', async () => {
    expect(await validateHome(home)).toEqual({
      ok: true,
      home,
      chain_id: 'quorate-local',
      moniker: 'v0',
      validator_index: 0,
      validators: 1,
    })
  })

  it('reports every bad config.json field, each by name, not only the first', async () => {
    await writeFile(
      homePaths(home).config,
      JSON.stringify({
        moniker: '',
        rpc_listen: '127.0.0.1',
        peers: [{ node_key: 'abcd', address: '/ip4/127.0.0.1/tcp/1' }],
        log_level: 'verbose',
        rpc_lisen: '127.0.0.1:1',
        block_interval_ms: 100,
      }),
    )
    const problems = await problemsOf()
    expect(problems.map((problem) => [problem.file, problem.field])).toEqual([
      ['config.json', 'moniker'],
      ['config.json', 'rpc_listen'],
      ['config.json', 'peers[0].node_key'],
      ['config.json', 'log_level'],
      ['config.json', 'rpc_lisen'],
    ])
    for (const problem of problems) expect(problem.message.startsWith(`${problem.field}: `)).toBe(true)
  })

  it('reports a config.json that is not JSON, and a bad genesis.json and key file beside it', async () => {
    const paths = homePaths(home)
    await writeFile(paths.config, '{ "moniker": ')
    const genesis = JSON.parse(await readFile(paths.genesis, 'utf8')) as Record<string, unknown>
    await writeFile(paths.genesis, JSON.stringify({ ...genesis, chain_id: 'Not Valid' }))
    await writeFile(paths.nodeKey, '{}')
    const problems = await problemsOf()
    expect(problems.map((problem) => [problem.file, problem.field])).toEqual([
      ['config.json', ''],
      ['genesis.json', 'chain_id'],
      ['node_key.json', ''],
    ])
    expect(problems[0]!.message).toMatch(/is not valid JSON/)
  })

  it('reports a missing file by its name', async () => {
    await rm(homePaths(home).genesis)
    expect(await problemsOf()).toEqual([
      { file: 'genesis.json', field: '', message: expect.stringMatching(/cannot read genesis file/) },
    ])
  })

  it('reports keys that are not this genesis validator, as `quorate start` would refuse them', async () => {
    const paths = homePaths(home)
    await writeKeyFile(paths.nodeKey, generateKeyPair(), { overwrite: true })
    expect((await problemsOf()).map((problem) => problem.field)).toEqual(['validators[0].node_key'])
    await writeKeyFile(paths.consensusKey, generateKeyPair(), { overwrite: true })
    expect(await problemsOf()).toEqual([
      {
        file: 'genesis.json',
        field: 'validators',
        message: expect.stringMatching(/^validators: none has the consensus key of consensus_key\.json/),
      },
    ])
  })
})
