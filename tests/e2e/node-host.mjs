// An official @interval/sdk host for the dashboard's end-to-end tests (the
// browser side is browser.mjs). Reads INTERVAL_ENDPOINT and INTERVAL_API_KEY.
// The Rust host in interval-server/tests/e2e.rs declares the same
// routes, so that one browser script checks both.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Interval, Page, Layout, io, ctx } = require('../interop/node_modules/@interval/sdk')

// A 1×1 PNG, inline: the test needs no network.
const avatar =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const users = Array.from({ length: 60 }, (_, i) => ({
  id: i,
  email: `user${i}@example.com`,
  role: i % 3 === 0 ? 'admin' : 'member',
}))

// More rows than a host sends up front (500): the dashboard asks the host
// for each page.
const crew = Array.from({ length: 600 }, (_, i) => ({ id: i, email: `user${i}@example.com` }))

// Every row sent at once (fewer than a page): the dashboard sorts them.
const orders = [
  { customer: 'bob', amount: 10, placed: new Date('2024-03-01T12:00:00.000Z') },
  { customer: 'Alice', amount: 9, placed: new Date('2023-12-31T23:00:00.000Z') },
  { customer: 'carol', amount: 100, placed: new Date('2024-01-15T08:30:00.000Z') },
]

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'quiet',
  routes: {
    onboard: {
      name: 'Onboard a customer',
      description: 'A form, a select, a confirmation and a long job',
      handler: async () => {
        const [name, age, email] = await io
          .group([
            io.input.text('Name', { placeholder: 'Ada Lovelace' }),
            io.input.number('Age', { min: 0 }),
            io.input.email('Email').optional(),
          ])
          .validate(([name, age]) => (age < 18 ? `${name} must be an adult` : undefined))
        const plan = await io.select.single('Plan', { options: ['Free', 'Pro', 'Enterprise'] })
        const sure = await io.confirm(`Create an account for ${name}?`, { helpText: 'This sends an email.' })
        if (!sure) return 'Nothing created'
        ctx.loading.start({ label: 'Creating the account', itemsInQueue: 3 })
        for (let i = 0; i < 3; i++) {
          await sleep(700)
          ctx.loading.completeOne()
        }
        await ctx.log(`created ${name}`)
        return { name, age, email: email ?? 'none', plan: typeof plan === 'string' ? plan : plan.value }
      },
    },
    journey: {
      name: 'A journey of steps',
      description: 'Displays, a table and questions, one after the other',
      handler: async () => {
        await io.display.markdown('**Welcome** aboard')
        await io.display.table('Crew', {
          data: crew,
          defaultPageSize: 10,
          columns: ['id', 'email'],
        })
        const name = await io.input.text('Your name')
        const colour = await io.input.text('Favourite colour')
        return { journey: `${name} likes ${colour}` }
      },
    },
    users: {
      name: 'Browse users',
      description: 'A table searched by the host',
      handler: async () => {
        await io.display.table('Users', {
          data: users,
          defaultPageSize: 10,
          columns: ['email', 'role'],
        })
        const chosen = await io.select.table('Pick users', {
          data: users.slice(0, 25),
          columns: ['email'],
          defaultPageSize: 10,
          minSelections: 1,
          maxSelections: 10,
        })
        return { picked: chosen.map(u => u.email).join(', ') }
      },
    },
    report: {
      name: 'Sales report',
      description: 'Tables sorted by the dashboard, dates and help text',
      handler: async () => {
        await io.group([
          io.display.table('Orders', {
            data: orders,
            columns: ['customer', 'amount', 'placed'],
            helpText: 'Sorted **here**: see [the guide](https://example.com/guide) or `sort`.',
          }),
          io.display.table('Only order', { data: orders.slice(0, 1), columns: ['customer', 'amount'] }),
          io.display.metadata('Summary', { data: [{ label: 'First order', value: orders[1].placed }] }),
        ])
        return { latest: orders[0].placed }
      },
    },
    fail: {
      name: 'Fail',
      handler: async () => {
        throw new Error('Something broke')
      },
    },
    xss: {
      name: 'Show untrusted content',
      handler: async () => {
        await io.group([
          io.display.markdown(
            '## Untrusted\n\n<script>window.__pwned = 1</script>\n\n<img src="x" onerror="window.__pwned = 2">\n\n[click](javascript:window.__pwned=3)'
          ),
          io.display.html('Raw HTML', {
            html: '<b>bold</b><script>window.__pwned = 4</script><a href="javascript:window.__pwned=5">x</a>',
          }),
        ])
        return 'shown'
      },
    },
    everything: {
      name: 'Every kind of field',
      handler: async () => {
        const [day, level, notes, colors, user, file, agree] = await io.group([
          io.input.date('Start date'),
          io.input.slider('Level', { min: 1, max: 5 }),
          io.input.richText('Notes').optional(),
          io.select.multiple('Colors', { options: ['Red', 'Green', 'Blue'] }),
          io.search('Find a user', {
            onSearch: async query => users.filter(u => u.email.includes(query)).slice(0, 5),
            renderResult: u => ({ label: u.email, description: u.role }),
          }),
          io.input.file('Attachment', { allowedExtensions: ['.txt'] }),
          io.input.boolean('I agree'),
        ])
        const { choice } = await io.group([
          io.display.code('Snippet', { code: 'fn main() {}', language: 'rust' }),
          io.display.link('Read the docs', { url: 'https://example.com/docs' }),
          io.display.metadata('Facts', { data: [{ label: 'Level', value: level }] }),
          io.display.grid('Cards', {
            data: users.slice(0, 3),
            renderItem: u => ({
              label: u.email,
              description: u.role,
              image: { url: avatar, alt: `Avatar of ${u.email}`, fit: 'contain', aspectRatio: 1 },
            }),
          }),
        ]).withChoices([
          { label: 'Approve', value: 'approve', theme: 'primary' },
          { label: 'Reject', value: 'reject', theme: 'danger' },
        ])
        return {
          choice,
          day: `${day.year}-${day.month}-${day.day}`,
          level,
          colors: colors.map(c => c.value ?? c).join('+'),
          user: user.email,
          file: await file.text(),
          agree,
          notes: notes ?? '',
        }
      },
    },
    pick: {
      name: 'Pick people',
      description: 'A searchable select and a search of several people',
      handler: async () => {
        const [country, members] = await io.group([
          io.select.single('Country', {
            options: [
              { label: 'France', value: 'fr', description: 'Europe' },
              { label: 'Japan', value: 'jp', description: 'Asia', image: { url: avatar } },
              { label: 'Kenya', value: 'ke', description: 'Africa' },
              { label: 'Peru', value: 'pe', description: 'South America' },
            ],
            searchable: true,
          }),
          io.search('Team members', {
            onSearch: async query => users.filter(u => u.email.includes(query)).slice(0, 5),
            renderResult: u => ({ label: u.email, description: u.role, image: { url: avatar } }),
          }).multiple({ defaultValue: [users[7]] }),
        ])
        return { country: country.value, members: members.map(u => u.email).join(', ') }
      },
    },
    go: {
      name: 'Go elsewhere',
      handler: async () => {
        await ctx.notify({
          title: 'Heads up',
          message: 'Someone went elsewhere',
          delivery: [{ to: 'ops@example.com' }],
        })
        await io.confirm('Go elsewhere now?')
        await ctx.redirect({ route: 'secret' })
        return 'redirected'
      },
    },
    greet: {
      name: 'Greet a customer',
      handler: async () => {
        const [name, greeting] = await io.group([
          io.input.text('Name', { defaultValue: 'Ada', disabled: true }),
          io.input.text('Greeting', { defaultValue: 'Hello' }),
        ])
        return `${greeting} ${name}`
      },
    },
    note: {
      name: 'Jot a note',
      warnOnClose: false,
      handler: async () => `noted ${await io.input.text('Note')}`,
    },
    stock: {
      name: 'Count stock',
      description: 'A spreadsheet to fill in',
      handler: async () => {
        const rows = await io.experimental.spreadsheet('Stock', {
          columns: { Item: 'string', Amount: 'number', Paid: 'boolean' },
          defaultValue: [
            { Item: 'Bolts', Amount: 3, Paid: true },
            { Item: 'Nuts', Amount: 5, Paid: false },
          ],
        })
        return { count: rows.length, rows: rows.map(r => `${r.Item}:${r.Amount}:${r.Paid}`).join(', ') }
      },
    },
    receipt: {
      name: 'Upload a receipt',
      description: 'A file stored where the action says',
      handler: async () => {
        // URLs of the store the test starts on another port (another
        // origin, as S3 is); a file named refused… gets one it refuses.
        const store = process.env.STORE_URL
        const file = await io.input.file('Receipt', {
          generatePresignedUrls: async ({ name }) => {
            const place = name.startsWith('refused') ? 'refuse' : 'files'
            const key = `${Date.now()}-${Math.random().toString(16).slice(2)}-${name}`
            return { uploadUrl: `${store}/${place}/${key}?signature=e2e`, downloadUrl: `${store}/${place}/${key}` }
          },
        })
        return { name: file.name, contents: await file.text() }
      },
    },
    secret: {
      name: 'Secret',
      unlisted: true,
      handler: async () => 'found',
    },
    team: new Page({
      name: 'Team',
      description: 'People and what they can do',
      handler: async () =>
        new Layout({
          title: 'Team',
          description: 'Everyone on the team',
          menuItems: [{ label: 'Add member', route: 'team/add' }],
          children: [
            io.display.markdown('**3** members'),
            io.display.table('Members', { data: users.slice(0, 25), defaultPageSize: 10, columns: ['email'] }),
          ],
        }),
      routes: {
        add: {
          name: 'Add member',
          handler: async () => {
            const who = await io.input.text('Member name')
            return `added ${who}`
          },
        },
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
