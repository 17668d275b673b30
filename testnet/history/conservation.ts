// Conservation: transfers move value and never make or destroy it, so the balances of every account that can
// hold any (the genesis accounts and every address a transfer in the history or the chain touched) add up to
// the genesis total. Pure: the balances are read elsewhere, at a height all honest validators had reached
// and stayed at (quiet-ledger.ts).

import type { ValidatorChain } from './chain-view.js'
import type { HistoryRecord } from './records.js'

/** The balances read at one quiet height. */
export interface LedgerSnapshot {
  readonly kind: 'quiet'
  readonly height: number
  /** The validator whose `account` answers these are. */
  readonly validator: number
  readonly genesisBalances: ReadonlyMap<string, bigint>
  readonly balances: ReadonlyMap<string, bigint>
}

/** The honest validators' heights did not settle within the wait, so no balances were read. */
export interface LedgerNotQuiet {
  readonly kind: 'not-quiet'
  readonly detail: string
}

export type LedgerReading = LedgerSnapshot | LedgerNotQuiet

/** Every address whose balance the check needs. */
export function addressesToBalance(
  genesisAddresses: Iterable<string>,
  history: readonly HistoryRecord[],
  chains: readonly ValidatorChain[],
): Set<string> {
  const addresses = new Set(genesisAddresses)
  for (const record of history) {
    if (record.op !== 'invoke') continue
    addresses.add(record.from)
    addresses.add(record.to)
  }
  for (const chain of chains) {
    for (const block of chain.blocks) {
      for (const tx of block.txs) {
        addresses.add(tx.from)
        addresses.add(tx.to)
      }
    }
  }
  return addresses
}

export function checkConservation(
  ledger: LedgerReading | undefined,
  history: readonly HistoryRecord[],
  chains: readonly ValidatorChain[],
): { ok: boolean; detail: string } {
  if (ledger === undefined) return { ok: true, detail: 'not checked: no balances were read' }
  if (ledger.kind === 'not-quiet') return { ok: false, detail: ledger.detail }
  const addresses = addressesToBalance(ledger.genesisBalances.keys(), history, chains)
  let genesisTotal = 0n
  for (const balance of ledger.genesisBalances.values()) genesisTotal += balance
  let total = 0n
  const unread: string[] = []
  for (const address of addresses) {
    const balance = ledger.balances.get(address)
    if (balance === undefined) unread.push(address)
    else total += balance
  }
  if (unread.length > 0) {
    return { ok: false, detail: `no balance read for ${unread.length} address(es), e.g. ${unread[0]}` }
  }
  const where = `${addresses.size} balances at height ${ledger.height} (validator ${ledger.validator})`
  if (total !== genesisTotal) {
    const difference = total - genesisTotal
    return {
      ok: false,
      detail: `${where} add up to ${total}, the genesis total is ${genesisTotal} (${difference > 0n ? '+' : ''}${difference})`,
    }
  }
  return { ok: true, detail: `${where} add up to the genesis total ${genesisTotal}` }
}
