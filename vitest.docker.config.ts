import { defineConfig } from 'vitest/config'

// `npm run test:docker`: builds the validator image and runs the compose network in Docker
// (test/deploy/docker-image.test.ts). Apart from `npm test`, which excludes it: it needs a Docker daemon, and its
// image build and network take minutes on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/deploy/docker-image.test.ts'],
    setupFiles: ['node/polyfills.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
})
