import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { KeyFileError, readKeyFile } from '../../crypto/keyfile.js'
import { CliError, exitCodeOf, exitCodes, userFacingMessage } from '../../node/cli/errors.js'
import { init } from '../../node/cli/init.js'
import { type HomeKeysShowResult, keysNew, keysShow } from '../../node/cli/keys.js'

describe('quorate keys new', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-keys-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a 0600 key file whose public key is the printed address', async () => {
    const out = join(dir, 'nested', 'alice.json')
    const result = await keysNew({ out })
    expect(result.key_file).toBe(out)
    expect(result.address).toMatch(/^[0-9a-f]{64}$/)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(result.address)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
  })

  it('refuses to overwrite an existing key file', async () => {
    const out = join(dir, 'alice.json')
    const first = await keysNew({ out })
    const error = await keysNew({ out }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KeyFileError)
    expect(userFacingMessage(error)).toMatch(/already exists/)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(first.address)
  })

  it('replaces it with --force', async () => {
    const out = join(dir, 'alice.json')
    const first = await keysNew({ out })
    const second = await keysNew({ out, force: true })
    expect(second.address).not.toBe(first.address)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(second.address)
  })
})

describe('quorate keys show', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-keys-'))
  })
  afterEach(async () => {
    vi.unstubAllEnvs()
    await rm(dir, { recursive: true, force: true })
  })

  it('--key: prints the address (public key) of a key file, never its secret', async () => {
    const out = join(dir, 'alice.json')
    const { address } = await keysNew({ out })
    const shown = await keysShow({ key: out })
    expect(shown).toEqual({ address, key_file: out })
    const secret = toHex((await readKeyFile(out)).secretKey)
    expect(JSON.stringify(shown)).not.toContain(secret)
  })

  it("--home: prints the consensus key, the node key and the node key's libp2p peer id", async () => {
    const home = join(dir, 'home')
    const created = await init({ home })
    const shown = await keysShow({ home })
    expect(shown).toMatchObject({ home, consensus_key: created.consensus_key, node_key: created.node_key })
    const peerId = peerIdFromString((shown as HomeKeysShowResult).peer_id)
    expect(peerId.type).toBe('Ed25519')
    expect(toHex(peerId.publicKey!.raw)).toBe(created.node_key)
  })

  it('prints the peer entry to hand out: p2p_announce, else a listen address that is not a wildcard', async () => {
    const announced = await init({
      home: join(dir, 'announced'),
      p2pListen: '/ip4/0.0.0.0/tcp/26600',
      p2pAnnounce: '/dns/val1.example.org/tcp/26600',
    })
    expect((await keysShow({ home: join(dir, 'announced') })) as HomeKeysShowResult).toMatchObject({
      peer: { node_key: announced.node_key, address: '/dns/val1.example.org/tcp/26600' },
    })
    const local = await init({ home: join(dir, 'local') })
    expect(((await keysShow({ home: join(dir, 'local') })) as HomeKeysShowResult).peer).toEqual({
      node_key: local.node_key,
      address: '/ip4/127.0.0.1/tcp/26600',
    })
    await init({ home: join(dir, 'wildcard'), p2pListen: '/ip4/0.0.0.0/tcp/26600' })
    expect(((await keysShow({ home: join(dir, 'wildcard') })) as HomeKeysShowResult).peer).toBeNull()
    await expect(init({ home: join(dir, 'bad'), p2pAnnounce: '10.0.0.1:26600' })).rejects.toThrow(
      /p2p_announce/,
    )
  })

  it('takes the home from $QUORATE_HOME, and --key over it', async () => {
    const home = join(dir, 'home')
    const created = await init({ home })
    vi.stubEnv('QUORATE_HOME', home)
    expect(await keysShow({})).toMatchObject({ node_key: created.node_key })
    expect(await keysShow({ key: join(home, 'consensus_key.json') })).toMatchObject({
      address: created.consensus_key,
    })
  })

  it('refuses neither or both of --key and --home', async () => {
    vi.stubEnv('QUORATE_HOME', '')
    await expect(keysShow({})).rejects.toThrow(/give --key FILE or --home DIR/)
    await expect(keysShow({ key: 'a.json', home: 'b' })).rejects.toThrow(CliError)
  })

  it('names a key file that is not one', async () => {
    const out = join(dir, 'bad.json')
    await writeFile(out, '{}')
    const error = await keysShow({ key: out }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KeyFileError)
    expect(exitCodeOf(error)).toBe(exitCodes.badInput)
  })
})
