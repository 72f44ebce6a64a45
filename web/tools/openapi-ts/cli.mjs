#!/usr/bin/env node
// `openapi-typescript` in web/node_modules/.bin: openapi-typescript's own CLI, run as is with
// the TypeScript 5 installed next to it (this package's dependencies).
import { pathToFileURL } from 'node:url'
import { cli } from './index.mjs'

await import(pathToFileURL(cli).href)
