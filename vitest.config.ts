import { configDefaults, defineConfig } from 'vitest/config'
import { LongestFirstSequencer } from './test/longest-first-sequencer.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Needs a Docker daemon and minutes of image build: `npm run test:docker` (vitest.docker.config.ts) runs it.
    exclude: [...configDefaults.exclude, 'test/deploy/docker-image.test.ts'],
    setupFiles: ['node/polyfills.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on a 2-core machine (vitest's default leaves one core idle): the simulator and the
    // end-to-end tests wait on each other's I/O and timers more than they compete for CPU, and every bound in
    // the suite leaves room for a loaded machine.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
  },
})
