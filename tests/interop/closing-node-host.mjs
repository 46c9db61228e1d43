// An official @interval/sdk host that closes safely on SIGUSR2 and exits
// once closed: in append-UI mode it keeps a finished transaction until the
// server sends CLOSE_TRANSACTION (interval-server/tests/node_host.rs).
// Reads INTERVAL_ENDPOINT and INTERVAL_API_KEY.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, io } = require('./node_modules/@interval/sdk')

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    hello: {
      name: 'Hello',
      handler: async () => {
        await io.display.markdown('Hello')
        return 'done'
      },
    },
  },
})

process.on('SIGUSR2', async () => {
  await interval.safelyClose()
  process.exit(0)
})

await interval.listen()
