#!/usr/bin/env node
// Runs tests/interop/validate.mjs after registering the superjson custom
// transformer `time` exactly as @interval/sdk does at load time
// (dist/utils/superjson.js), so that `["custom","time"]` annotations, which
// the Node SDK and the dashboard both accept, can be checked.
//
// usage: node validate_with_time.mjs <messages.json>
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const interop = path.join(here, '..', 'interop')
const require = createRequire(path.join(interop, 'package.json'))
require('@interval/sdk/dist/utils/superjson.js')
const { validateAll } = await import(path.join(interop, 'validate.mjs'))

const records = JSON.parse(readFileSync(process.argv[2], 'utf8'))
process.exitCode = validateAll(records) ? 1 : 0
