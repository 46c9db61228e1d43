// An official @interval/sdk host for interval-server/tests/failover.rs's
// multi-node test: one action, connected (through a balancer) to one node
// while the browser is on another. Reads INTERVAL_ENDPOINT and
// INTERVAL_API_KEY.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, io } = require('../interop/node_modules/@interval/sdk')

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    greet_node: {
      name: 'Greet from Node',
      handler: async () => {
        const name = await io.input.text('Name')
        return `Hello from Node, ${name}!`
      },
    },
  },
})

await interval.listen()
