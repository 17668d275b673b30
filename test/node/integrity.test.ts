// The guidance a validator stops with on corrupt chain data: move the data directory aside, keep the safety
// directory (following the old advice, moving the one directory that held both, lost what it had signed).

import { describe, expect, it } from 'vitest'
import { homePaths } from '../../node/config.js'
import { CorruptDataError, corruptDataError } from '../../node/integrity.js'

describe('corruptDataError', () => {
  it('says to move the data directory aside and to keep the safety directory', () => {
    const paths = homePaths('/srv/quorate/v0')
    const error = corruptDataError(paths.data, 'block 7 is missing')
    expect(error).toBeInstanceOf(CorruptDataError)
    expect(error.message).toContain(`the data directory ${paths.data} is corrupt (block 7 is missing)`)
    expect(error.message).toContain(`move ${paths.data} aside`)
    expect(error.message).toContain(`Keep ${paths.safety} where it is`)
    expect(paths.safety).not.toBe(paths.data)
  })
})
