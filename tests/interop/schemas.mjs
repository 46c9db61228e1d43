// Loads the official zod schemas of @interval/sdk from its dist/ files and
// applies the (small, documented) 2.0.0 -> 2.1.0 schema delta.
//
// The npm registry only serves @interval/sdk up to 2.0.0; 2.1.0 (the version
// the Rust host imitates, see PROTOCOL.md §0) only added an optional
// `download` key to the url variant of `linkSchema` and to the `href` variant
// of DISPLAY_LINK props (interval-node commit 8a0c16b). Everything else is
// taken verbatim from the installed dist.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const sdkRequire = createRequire(require.resolve('@interval/sdk/package.json'))

export const sdkVersion = require('@interval/sdk/package.json').version
// The SDK's own zod / superjson instances (its dependencies), not separate copies.
export const { z } = sdkRequire('zod')
const superjsonModule = sdkRequire('superjson')
export const superjson = superjsonModule.default ?? superjsonModule
// The SDK registers its `time` custom transformer (HH:MM:SS strings) on this
// same instance when this module loads; the dashboard does the same, so
// `["custom","time"]` annotations are valid.
require('@interval/sdk/dist/utils/superjson.js')

const rpc = require('@interval/sdk/dist/internalRpcSchema.js')
const io = require('@interval/sdk/dist/ioSchema.js')
const layout = require('@interval/sdk/dist/classes/Layout.js')

// ---- 2.1.0 overlay -------------------------------------------------------
const linkSchema21 = z.union([
  z.object({ url: z.string(), download: z.string().optional() }),
  z.object({ route: z.string(), params: io.serializableRecord.optional() }),
])
const legacyLinkSchema21 = z.union([
  linkSchema21,
  z.object({ action: z.string(), params: io.serializableRecord.optional() }),
])
const buttonTheme = z.enum(['default', 'primary', 'secondary', 'danger'])

export const ioSchema = {
  ...io.ioSchema,
  DISPLAY_LINK: {
    ...io.ioSchema.DISPLAY_LINK,
    props: z.intersection(
      z.object({ theme: buttonTheme.optional() }),
      z.union([
        z.object({ href: z.string(), download: z.string().optional() }),
        legacyLinkSchema21,
      ])
    ),
  },
}

// host -> server methods a host may CALL (subset of wsServerSchema, which also
// holds the browser's methods)
export const HOST_TO_SERVER = [
  'INITIALIZE_HOST',
  'SEND_IO_CALL',
  'SEND_LOADING_CALL',
  'SEND_LOG',
  'SEND_REDIRECT',
  'MARK_TRANSACTION_COMPLETE',
  'SEND_PAGE',
  'BEGIN_HOST_SHUTDOWN',
  'NOTIFY',
]

export const wsServerSchema = {
  ...rpc.wsServerSchema,
  SEND_REDIRECT: {
    ...rpc.wsServerSchema.SEND_REDIRECT,
    inputs: z.intersection(
      z.object({
        transactionId: z.string(),
        skipClientCall: z.boolean().optional(),
        replace: z.boolean().optional(),
      }),
      legacyLinkSchema21
    ),
  },
}

// server -> host methods (the host answers these)
export const hostSchema = rpc.hostSchema

export const IO_RENDER = io.IO_RENDER
export const LAYOUT_SCHEMA = layout.LAYOUT_SCHEMA

// The action result has no zod schema in the SDK (only the TS type
// `ActionResultSchema` in dist/ioSchema.d.ts); this mirrors it, plus the shape
// of FAILURE data built in dist/classes/IntervalClient.js.
export const ACTION_RESULT = z
  .discriminatedUnion('status', [
    z.object({
      schemaVersion: z.union([z.literal(0), z.literal(1)]),
      status: z.literal('SUCCESS'),
      data: z.any(), // superjson `json` of the handler's return value, or null
      meta: z.any().optional(), // superjson meta
    }),
    z.object({
      schemaVersion: z.union([z.literal(0), z.literal(1)]),
      status: z.literal('FAILURE'),
      data: z
        .object({
          error: z.string(),
          message: z.string(),
          cause: z.string().optional(),
        })
        .nullable(),
      meta: z.any().optional(),
    }),
  ])
  .superRefine((v, ctx) => {
    // z.any() accepts a missing key; the TS type requires `data` (null allowed)
    if (!('data' in v))
      ctx.addIssue({ code: 'custom', path: ['data'], message: 'Required (use null)' })
  })

export const HTTP = {
  '/api/actions/enqueue': rpc.ENQUEUE_ACTION,
  '/api/actions/dequeue': rpc.DEQUEUE_ACTION,
  '/api/notify': rpc.NOTIFY,
  '/api/hosts/declare': rpc.DECLARE_HOST,
}
