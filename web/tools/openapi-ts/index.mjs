// openapi-typescript's Node API for web/scripts/api-check.mjs, and what its CLI loads its
// Redocly config with: the very @redocly/openapi-core module the CLI imports, found from the
// CLI's own file, so the check runs the generation exactly as `openapi-typescript` does.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

export { default as openapiTS, astToString, COMMENT_HEADER } from 'openapi-typescript'

const here = createRequire(import.meta.url)
/** cli is the path of openapi-typescript's CLI (bin/cli.js). */
export const cli = join(dirname(here.resolve('openapi-typescript/package.json')), 'bin', 'cli.js')

const core = await import(pathToFileURL(createRequire(cli).resolve('@redocly/openapi-core')).href)
export const { createConfig, findConfig, loadConfig } = core
