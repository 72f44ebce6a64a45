// Fails the build when the console's main bundle (the entry script index.html loads) is over
// the budget gzipped, and prints what it measured.
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

// SIZE_LIMIT_KB overrides the budget (to see the check fail, e.g. SIZE_LIMIT_KB=10).
const LIMIT = Number(process.env.SIZE_LIMIT_KB ?? 250) * 1024
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'console')
const index = readFileSync(join(dist, 'index.html'), 'utf8')
const entry = index.match(/<script[^>]+type="module"[^>]+src="\/([^"]+)"/)
if (!entry) {
  console.error('size-check: no module script in dist/console/index.html')
  process.exit(1)
}
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
const main = gz(entry[1])
const assets = readdirSync(join(dist, 'assets'))
const total = assets.reduce((n, f) => n + gz(join('assets', f)), 0)
const kb = (n) => (n / 1024).toFixed(1) + ' KB'
console.log(`size-check: main bundle ${entry[1]} ${kb(main)} gzipped (limit ${kb(LIMIT)}); all assets ${kb(total)} gzipped`)
if (main > LIMIT) {
  console.error(`size-check: FAIL: main bundle is ${kb(main - LIMIT)} over the limit`)
  process.exit(1)
}
