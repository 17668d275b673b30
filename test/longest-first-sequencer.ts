// Test files in the order that lets `npm test`'s two workers finish together: the longest files first, then
// vitest's own order. Vitest sorts by the durations it cached on earlier runs, but a fresh clone (CI) has no
// cache, and then it starts the largest files first: the simulations are small files that run for minutes, so
// they started last and ran alone at the end (a fresh clone's run took 587 s against 533 s with the cache).

import { BaseSequencer, type TestSpecification } from 'vitest/node'

/** The files that run longest on a 2-core machine, longest first (from `npm test`'s per-file times). */
export const longestFiles = [
  'test/sim/simulation.test.ts',
  'test/sim/harm-second-half.test.ts',
  'test/sim/harm-first-half.test.ts',
  'test/sim/full-restart.test.ts',
  'test/node/block-sync.test.ts',
  'test/e2e/corruption.test.ts',
  'test/e2e/crash-recovery.test.ts',
  'test/node/sync-service.test.ts',
  'test/e2e/genesis-ceremony.test.ts',
  'test/e2e/scenarios.test.ts',
  'test/testnet/history-load.test.ts',
  'test/e2e/fault-lab-ctl.test.ts',
  'test/e2e/byzantine.test.ts',
  'test/e2e/full-restart.test.ts',
]

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cached = await super.sort(files)
    const rank = (file: TestSpecification): number => {
      const position = longestFiles.findIndex((path) => file.moduleId.endsWith(path))
      return position === -1 ? longestFiles.length : position
    }
    return cached
      .map((file, position) => ({ file, position }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.position - b.position)
      .map(({ file }) => file)
  }
}
