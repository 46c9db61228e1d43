// An official @interval/sdk host with the one action of Interval's own
// screenshots (../shared/reference/): "Hello world", which asks a name and
// returns a greeting. Reads INTERVAL_ENDPOINT and INTERVAL_API_KEY.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, io } = require('../interop/node_modules/@interval/sdk')

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    hello_world: {
      name: 'Hello world',
      description: 'Feasibility test action',
      handler: async () => {
        const name = await io.input.text('Your name')
        return { message: `Hello, ${name}` }
      },
    },
  },
})

await interval.listen()
