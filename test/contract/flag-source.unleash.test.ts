import nock from 'nock'
import { afterAll, beforeAll } from 'vitest'
import { UnleashFlagSource } from '../../src/flags/unleash-source.js'
import { fakeUnleash } from '../helpers/unleash-nock.js'
import { flagSourceContract } from './flag-source.contract.js'

const quiet = { warn: () => {}, error: () => {} }

beforeAll(() => nock.disableNetConnect())
afterAll(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

flagSourceContract('unleash (client API on nock)', async () => {
  const fake = fakeUnleash()
  return {
    async open(options = {}) {
      const source = new UnleashFlagSource({
        url: fake.state.url,
        token: 'default:development.test',
        refreshIntervalMs: 20,
        fetchTimeoutMs: 1000,
        storageProvider: 'memory',
        logger: quiet,
        ...options,
      })
      return { source, status: await source.start({ timeoutMs: 2000 }) }
    },
    async write(routes, kill = false) {
      fake.setRoutes(routes, kill)
    },
    async corrupt() {
      fake.state.payload = { version: 2, features: 'not-a-list' }
    },
    settle: (source) => fake.settle(source),
    async cleanup() {
      fake.done()
    },
  }
})
