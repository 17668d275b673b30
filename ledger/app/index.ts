export { accountLeaf, accountLeafTag, isAccountEmpty } from './account-leaf.js'
export type { AccountEntry, BlockExecution, CheckTxResult } from './accounts-app.js'
export { AccountsApp, amountMax } from './accounts-app.js'
