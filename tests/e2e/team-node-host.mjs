// An official @interval/sdk host for interval-server/tests/team.rs: actions
// with `access` from code (one inside a page that inherits the page's), and
// actions that call `interval.enqueue` and `ctx.notify`. Reads
// INTERVAL_ENDPOINT and INTERVAL_API_KEY; when TEAM_HOST_LOG is set, what
// the SDK logs (e.g. INITIALIZE_HOST's warnings) is appended to that file.
import { createRequire } from 'node:module'
import { appendFileSync } from 'node:fs'

const require = createRequire(import.meta.url)
const { Interval, Page, Action, ctx } = require('../interop/node_modules/@interval/sdk')

const logFile = process.env.TEAM_HOST_LOG
if (logFile) {
  for (const level of ['log', 'info', 'warn', 'error']) {
    const original = console[level].bind(console)
    console[level] = (...args) => {
      appendFileSync(logFile, args.map(String).join(' ') + '\n')
      original(...args)
    }
  }
}

// Each action that checks access returns who ran it, as the host saw it.
const whoRan = async () => ({
  email: ctx.user.email,
  firstName: ctx.user.firstName,
  lastName: ctx.user.lastName,
  role: ctx.user.role,
  teams: ctx.user.teams,
})

const interval = new Interval({
  apiKey: process.env.INTERVAL_API_KEY,
  endpoint: process.env.INTERVAL_ENDPOINT,
  logLevel: 'info',
  routes: {
    // `ghosts` is a team the organization does not have: INITIALIZE_HOST warns.
    refund: new Action({ name: 'Refund', access: { teams: ['support', 'ghosts'] }, handler: whoRan }),
    lookup: new Action({ name: 'Look up', access: 'entire-organization', handler: whoRan }),
    purge: new Action({ name: 'Purge', access: { teams: [] }, handler: whoRan }),
    billing: new Page({
      name: 'Billing',
      access: { teams: ['finance'] },
      routes: {
        // No access of its own: the page's.
        invoice: new Action({ name: 'Invoice', handler: whoRan }),
      },
    }),
    // Enqueues ctx.params.slug for ctx.params.assignee; returns the queued
    // id, or the SDK's error message.
    assign: new Action({
      name: 'Assign',
      access: 'entire-organization',
      handler: async () => {
        const { slug, assignee, note } = ctx.params
        try {
          const queued = await interval.enqueue(String(slug), {
            assignee: assignee ? String(assignee) : undefined,
            params: { note: String(note ?? '') },
          })
          return { id: queued.id }
        } catch (err) {
          return { error: String(err.message) }
        }
      },
    }),
    // Notifies twice with the same idempotency key.
    notify: new Action({
      name: 'Notify',
      access: 'entire-organization',
      handler: async () => {
        const note = {
          title: 'Refund issued',
          message: `Refund ${ctx.params.marker} went out`,
          delivery: [{ to: 'x@example.com', method: 'EMAIL' }],
          idempotencyKey: `refund-${ctx.params.marker}`,
        }
        await ctx.notify(note)
        await ctx.notify(note)
        return 'sent'
      },
    }),
  },
})

interval.listen().catch(err => {
  console.error('listen failed:', err)
  process.exit(1)
})
