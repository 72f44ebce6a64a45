// src/api.gen.ts is the console's wire types, generated from the API contract (api/openapi.json)
// by `npm run api:types`: openapi-typescript's CLI writes it, then `node scripts/api-check.mjs
// --add-header` puts HEADER on top.
//
// Without arguments (`npm run api:check`, and first in `npm test`) this generates the same text
// in memory with openapi-typescript's Node API — the options the CLI passes when given no flags:
// none set, and the Redocly config it would load from web/ (none there: "minimal") — and fails
// when the committed file differs, so a contract change cannot land without its types.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { astToString, COMMENT_HEADER, createConfig, findConfig, loadConfig, openapiTS } from 'slipway-openapi-ts'

const web = new URL('../', import.meta.url)
const contract = new URL('../api/openapi.json', web)
const output = new URL('src/api.gen.ts', web)
const OUT = 'src/api.gen.ts'

const HEADER =
  '// Generated from api/openapi.json by `npm run api:types` (in web/): change the contract, never this file.\n' +
  '// `npm test` fails while it is stale (`npm run api:check`). Readable names: src/schema.ts.\n'

/** generate is `npm run api:types`'s output: HEADER, then exactly what the CLI writes. */
async function generate() {
  // The CLI's choice of Redocly config, looked for where `npm run api:types` runs it (web/).
  const found = findConfig(fileURLToPath(web))
  const redocly = found ? await loadConfig({ configPath: found }) : await createConfig({}, { extends: ['minimal'] })
  const ast = await openapiTS(contract, { redocly, silent: false })
  return HEADER + COMMENT_HEADER + astToString(ast)
}

function read(url) {
  try {
    return readFileSync(url, 'utf8')
  } catch (e) {
    if (e.code === 'ENOENT') return undefined
    throw e
  }
}

/** firstDifference is the 1-based number of the first line where a and b differ. */
function firstDifference(a, b) {
  const x = a.split('\n')
  const y = b.split('\n')
  let i = 0
  while (i < x.length && i < y.length && x[i] === y[i]) i++
  return i + 1
}

async function main(args) {
  if (args[0] === '--add-header') {
    // After the CLI wrote OUT: put HEADER on top (once).
    const text = read(output)
    if (text === undefined) throw new Error(`${OUT} is missing: run the CLI first (npm run api:types)`)
    if (!text.startsWith(HEADER)) writeFileSync(output, HEADER + text)
    return 0
  }
  if (args.length) {
    console.error('usage: node scripts/api-check.mjs [--add-header]')
    return 2
  }
  const want = await generate()
  const have = read(output)
  if (have === want) {
    console.log(`api-check: ${OUT} matches api/openapi.json`)
    return 0
  }
  const why = have === undefined ? 'it is missing' : `it differs from api/openapi.json's types from line ${firstDifference(have, want)}`
  console.error(`${OUT} is stale: run npm run api:types (${why})`)
  return 1
}

process.exitCode = await main(process.argv.slice(2))
