// An official @interval/sdk host used by interval-server's tests: it declares
// actions and a page and exercises a group with validation, a paged table,
// loading states, logs and a result. Reads INTERVAL_ENDPOINT and
// INTERVAL_API_KEY.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, Page, Layout, io, ctx } = require('@interval/sdk')

const users = Array.from({ length: 1000 }, (_, i) => ({
  id: i,
  email: `user${i}@example.com`,
}))

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    register: {
      name: 'Register',
      description: 'A group with validation, a table, loading and logs',
      handler: async () => {
        const [name, age] = await io
          .group([io.input.text('Name'), io.input.number('Age')])
          .validate(([name, age]) =>
            age < 18 ? `${name} must be an adult` : undefined
          )
        await io.display.table('Users', { data: users, defaultPageSize: 10 })
        await io.confirm('Register them?')
        ctx.loading.start({ label: 'Registering', itemsInQueue: 2 })
        ctx.loading.completeOne()
        // Loading states are debounced by 100 ms: let one go out.
        await new Promise(resolve => setTimeout(resolve, 300))
        ctx.loading.completeOne()
        await ctx.log('registered', name)
        return { name, age }
      },
    },
    fail: async () => {
      throw new Error('Something broke')
    },
    users: new Page({
      name: 'Users',
      description: 'All users',
      handler: async () =>
        new Layout({
          title: 'Users',
          description: `${users.length} users`,
          menuItems: [{ label: 'Register', route: 'register' }],
          children: [io.display.table('All users', { data: users })],
        }),
      routes: {
        ban: async () => 'banned',
      },
    }),
  },
})

interval.listen().catch(e => {
  console.error('listen failed:', e)
  process.exit(1)
})

process.on('SIGTERM', () => {
  interval.immediatelyClose()
  process.exit(0)
})
