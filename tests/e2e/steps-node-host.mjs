// An official @interval/sdk host for the step-latency bench
// (interval-server/benches/step_latency.rs): one action of many text
// inputs, one after another. Reads INTERVAL_ENDPOINT, INTERVAL_API_KEY and
// STEPS.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, io } = require('../interop/node_modules/@interval/sdk')

const steps = Number(process.env.STEPS || 60)
const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    steps: {
      name: 'Steps',
      handler: async () => {
        for (let i = 1; i <= steps + 1; i++) await io.input.text(`Step ${i}`)
        return 'done'
      },
    },
  },
})

await interval.listen()
