import { fromHex, type KeyPair, readKeyFile } from '../../crypto/index.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { AdmissionCode } from '../../node/mempool/admission.js'
import { rpcCall } from '../../node/rpc/client.js'
import type { TestnetInfo } from '../../testnet/info.js'

/**
 * A steady load of transfers between the testnet's funded accounts, each sent to a validator chosen by
 * `pickRpc` (so a test can keep load off a validator it is about to kill). Records every acknowledged hash.
 */
export class TransferLoad {
  readonly acknowledged: string[] = []
  #running = false
  #loop: Promise<void> | null = null

  private constructor(
    private readonly chainId: string,
    private readonly accounts: ReadonlyArray<{ address: string; keys: KeyPair; nonce: number }>,
  ) {}

  static async create(info: TestnetInfo): Promise<TransferLoad> {
    const accounts = await Promise.all(
      info.accounts.map(async (a) => ({ address: a.address, keys: await readKeyFile(a.key_file), nonce: 0 })),
    )
    return new TransferLoad(info.chain_id, accounts)
  }

  start(pickRpc: () => string | undefined, intervalMs = 50): void {
    this.#running = true
    this.#loop = (async () => {
      for (let i = 0; this.#running; i++) {
        const sender = this.accounts[i % this.accounts.length]!
        const recipient = this.accounts[(i + 1) % this.accounts.length]!
        const rpc = pickRpc()
        if (rpc !== undefined) await this.#send(rpc, sender, recipient.address)
        await new Promise((resolve) => setTimeout(resolve, intervalMs))
      }
    })()
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
  }

  async #send(rpc: string, sender: { keys: KeyPair; nonce: number }, to: string): Promise<void> {
    const tx = buildTransfer({
      chainId: this.chainId,
      keyPair: sender.keys,
      to: fromHex(to, 32),
      amount: 1n,
      nonce: sender.nonce,
    })
    try {
      const result = await rpcCall<{ hash: string; code: number }>(
        rpc,
        'broadcast_tx_sync',
        { tx: txToHex(tx) },
        { timeoutMs: 2_000 },
      )
      // Already pending or committed: an earlier send of this very transfer was admitted, but its answer was
      // lost (the validator died mid-request). It is acknowledged now.
      const held: number[] = [AdmissionCode.ok, AdmissionCode.alreadyPending, AdmissionCode.alreadyCommitted]
      if (held.includes(result.code)) {
        sender.nonce++
        this.acknowledged.push(result.hash)
      }
    } catch {
      // The validator went down under us: the transfer was not acknowledged; the next one retries the nonce.
    }
  }
}
