// Browser test of the console against a running platform-api on the dev stack (started by
// test/integration/console_test.go, which passes these variables):
//   SLIPWAY_URL       platform-api's base URL (serving the built console)
//   SLIPWAY_TOKEN     a bearer token (the dev stack's admin)
//   SLIPWAY_ARTIFACTS where screenshots go (default ../../.dev/console-e2e)
//   SLIPWAY_PROJECT   the project to create (default webui)
//   CHROMIUM          the browser (default /usr/bin/chromium, Debian's package)
// It drives Chromium headless through playwright-core: log in, create a project, deploy,
// see the revision become Ready without a reload, canary 20%, edit the split, roll back, add
// a header rule, read the history and manifests, set a pipeline with an approval gate, start
// and cancel a run, rotate its hook, ask to promote test → prod (pending: prod needs one
// approval by someone else, so the admin's own approval is refused by rule selfApproval) and
// reject it, break glass into prod and read prod's history, at 1280 px and 390 px.
import { chromium } from 'playwright-core'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const base = (process.env.SLIPWAY_URL ?? '').replace(/\/$/, '')
const token = process.env.SLIPWAY_TOKEN ?? ''
// userToken (optional) is a user without rights, made a viewer of the project on the way.
const userToken = process.env.SLIPWAY_USER_TOKEN ?? ''
const userName = process.env.SLIPWAY_USER_NAME ?? 'dev-user'
const artifacts = process.env.SLIPWAY_ARTIFACTS ?? join(here, '..', '..', '.dev', 'console-e2e')
const project = process.env.SLIPWAY_PROJECT ?? 'webui'
const app = 'hello'
const env = 'test'
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium'
// A revision takes ~20 s to become Ready on the dev stack; the machine is small and shared.
const READY_MS = 240_000
const STEP_MS = 30_000

if (!base || !token) {
  console.error('console.e2e: set SLIPWAY_URL and SLIPWAY_TOKEN')
  process.exit(2)
}
mkdirSync(artifacts, { recursive: true })
const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'))
const started = Date.now()
const problems = []
let shot = 0

const log = (msg) => console.log(`console.e2e [${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`)

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
const page = context.pages()[0] ?? (await context.newPage())
page.setDefaultTimeout(STEP_MS)
// Offline by construction: every request must go to platform-api itself; CSP violations
// and script errors show up as console errors.
page.on('request', (r) => {
  const u = r.url()
  if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`request to another origin: ${u}`)
})
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
page.on('console', (m) => {
  if (m.type() === 'error' && !/Failed to load resource|net::ERR_FAILED|status of (4\d\d)/.test(m.text())) problems.push(`console error: ${m.text()}`)
})

async function screenshot(name) {
  const file = join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  log(`screenshot ${file}`)
}

async function expectText(locator, text, timeout = STEP_MS) {
  const deadline = Date.now() + timeout
  let last = ''
  while (Date.now() < deadline) {
    last = (await locator.textContent({ timeout: 1000 }).catch(() => '')) ?? ''
    if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last
    await page.waitForTimeout(250)
  }
  throw new Error(`expected ${text} in ${locator}, last saw ${JSON.stringify(last)}`)
}

const row = (rev) => page.locator(`tr[data-revision="${rev}"]`)
const readyCell = (rev) => row(rev).locator('[data-testid=ready]')
const percentCell = (rev) => row(rev).locator('[data-testid=percent]')
const notice = () => page.locator('.banner.ok')
const tab = (name) => page.getByRole('navigation', { name: 'App' }).getByRole('link', { name, exact: true })

async function waitReady(rev) {
  const t0 = Date.now()
  // No reload anywhere: the page polls (with ETags) and must show the change by itself.
  await expectText(readyCell(rev), 'Ready', READY_MS)
  log(`${rev} shown Ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`)
}

async function step(name, fn) {
  log(`step: ${name}`)
  try {
    await fn()
  } catch (e) {
    await screenshot(`FAILED-${name.replace(/\W+/g, '-')}`).catch(() => {})
    throw new Error(`step "${name}": ${e.message}`)
  }
}

let failed = false
try {
  await step('login with the keyboard', async () => {
    await page.goto(base + '/')
    await page.getByRole('heading', { name: 'Sign in to Slipway' }).waitFor()
    await screenshot('login')
    // The token field has focus on load; Enter submits.
    await page.keyboard.type(token)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor()
  })

  await step('create a project', async () => {
    await page.getByLabel('Project name', { exact: true }).fill(project)
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByRole('heading', { name: project, exact: true }).waitFor()
    await page.waitForURL(`${base}/projects/${project}`)
    await screenshot('project')
  })

  await step('field errors beside the fields', async () => {
    await page.getByLabel('App name', { exact: true }).fill(app)
    await page.getByLabel('Environment', { exact: true }).selectOption(env)
    await page.getByRole('button', { name: 'Continue to deploy' }).click()
    await page.getByRole('heading', { name: 'Deploy a new revision' }).waitFor()
    await page.getByLabel('Image', { exact: true }).fill(`dev.local/${project}/hello:v1`)
    await page.getByLabel('Max scale', { exact: true }).fill('0')
    await page.getByRole('button', { name: 'Deploy', exact: true }).click()
    const err = page.locator('.field', { has: page.getByLabel('Max scale', { exact: true }) }).locator('.field-error')
    await expectText(err, '>= 1')
    if ((await page.getByLabel('Max scale', { exact: true }).getAttribute('aria-invalid')) !== 'true') throw new Error('Max scale not marked aria-invalid')
    await expectText(page.locator('.banner.error').first(), 'scaling.maxScale')
    await screenshot('field-error')
    await page.getByLabel('Max scale', { exact: true }).fill('')
  })

  await step('deploy v1 and see it become Ready', async () => {
    await page.getByLabel('Message', { exact: true }).fill('first release')
    await page.getByRole('button', { name: 'Deploy', exact: true }).click()
    await expectText(notice(), `Deployed ${app}-00001`)
    await row(`${app}-00001`).waitFor({ timeout: READY_MS })
    await screenshot('deployed-v1-pending')
    await waitReady(`${app}-00001`)
    await expectText(percentCell(`${app}-00001`), '100%')
    await screenshot('v1-ready')
  })

  await step('canary v2 at 20%', async () => {
    await tab('Deploy').click()
    await page.getByLabel('Image', { exact: true }).fill(`dev.local/${project}/hello:v2`)
    await page.getByLabel('Message', { exact: true }).fill('v2 for 20%')
    await page.getByLabel('Canary (a share of traffic)', { exact: true }).check()
    await page.getByLabel('Canary percent', { exact: true }).fill('20')
    await page.getByRole('button', { name: 'Deploy', exact: true }).click()
    await expectText(notice(), `Deployed ${app}-00002`)
    await expectText(percentCell(`${app}-00001`), '80%')
    await expectText(percentCell(`${app}-00002`), '20%')
    await waitReady(`${app}-00002`)
    // Knative's Route reports the split it serves.
    await expectText(page.getByTestId('serving'), `${app}-00001 80%, ${app}-00002 20%`, READY_MS)
    await screenshot('canary-80-20')
  })

  await step('traffic editor: must sum to 100', async () => {
    await tab('Traffic').click()
    await page.getByLabel('Percent 1', { exact: true }).fill('50')
    await expectText(page.getByTestId('total'), '30% still to assign')
    if (!(await page.getByRole('button', { name: 'Save split' }).isDisabled())) throw new Error('Save enabled at 70%')
    await page.getByRole('button', { name: 'Give target 2 the rest of 100%' }).click()
    await expectText(page.getByTestId('total'), 'Total is 100%.')
    await page.getByLabel('Tag 2', { exact: true }).fill('next')
    await page.getByLabel('Message', { exact: true }).fill('half and half')
    await screenshot('traffic-editor')
    await page.getByRole('button', { name: 'Save split' }).click()
    await expectText(notice(), 'Traffic split saved')
    await expectText(percentCell(`${app}-00001`), '50%')
    await expectText(percentCell(`${app}-00002`), '50%')
    await expectText(row(`${app}-00002`), 'next')
  })

  await step('roll back with confirmation', async () => {
    const dialog = page.getByRole('dialog')
    // Escape cancels; nothing happens.
    await page.getByRole('button', { name: `Roll back to ${app}-00001` }).click()
    await dialog.waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await page.getByRole('button', { name: `Roll back to ${app}-00001` }).click()
    await dialog.waitFor()
    await dialog.getByLabel('Why (recorded in the history)', { exact: true }).fill('v2 is slow')
    await screenshot('rollback-confirm')
    await dialog.getByRole('button', { name: `Roll back to ${app}-00001` }).click()
    await expectText(notice(), `Rolled back: all traffic goes to ${app}-00001`)
    await expectText(percentCell(`${app}-00001`), '100%')
    await expectText(percentCell(`${app}-00002`), '0%')
    await expectText(page.getByTestId('serving'), `${app}-00001 100%`, READY_MS)
  })

  await step('add a header rule', async () => {
    await tab('Header rules').click()
    await page.getByRole('button', { name: 'Add rule' }).click()
    await page.getByLabel('Rule 1 revision', { exact: true }).selectOption(`${app}-00002`)
    await page.getByLabel('Header 1', { exact: true }).fill('x-user-group')
    await page.getByLabel('Value 1', { exact: true }).fill('beta')
    await page.getByLabel('Message', { exact: true }).fill('beta testers on v2')
    await page.getByRole('button', { name: 'Save rules' }).click()
    await expectText(notice(), 'Header rules saved')
    await expectText(page.getByRole('list', { name: 'Rules in force' }), `x-user-group = "beta" → ${app}-00002`)
    await screenshot('header-rule')
  })

  await step('history timeline', async () => {
    await tab('History').click()
    const entries = page.locator('.timeline .entry')
    await expectText(page.locator('.timeline'), 'beta testers on v2')
    const actions = await entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))
    const want = ['traffic', 'rollback', 'traffic', 'deploy', 'deploy']
    if (JSON.stringify(actions) !== JSON.stringify(want)) throw new Error(`history actions ${actions}, want ${want}`)
    await expectText(page.locator('.timeline'), 'v2 is slow')
    await screenshot('history')
  })

  await step('manifests: YAML and download', async () => {
    await tab('Manifests').click()
    await expectText(page.getByLabel('Manifests YAML', { exact: true }), 'kind: Service')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download ${app}-${env}.yaml` }).click()])
    if (download.suggestedFilename() !== `${app}-${env}.yaml`) throw new Error(`download named ${download.suggestedFilename()}`)
    const path = join(artifacts, download.suggestedFilename())
    await download.saveAs(path)
    log(`manifests saved to ${path}`)
  })

  let runPath = ''
  await step('pipeline: field errors, local and from the API', async () => {
    await tab('Pipeline').click()
    await page.getByRole('heading', { name: 'Pipeline', exact: true }).waitFor()
    await expectText(page.locator('.banner.info'), 'has no pipeline')
    const repo = page.getByLabel('Repository', { exact: true })
    await repo.fill('http://x')
    await page.getByRole('button', { name: 'Save pipeline' }).click()
    await expectText(page.locator('.field', { has: repo }).locator('.field-error'), /\S/)
    if ((await repo.getAttribute('aria-invalid')) !== 'true') throw new Error('Repository not marked aria-invalid')
    await expectText(page.locator('.pipeline-form .banner.error'), 'repo')
    await screenshot('pipeline-field-error')
    // A stage's template is checked as JSON before anything is sent.
    await page.getByRole('button', { name: 'Add stage' }).click()
    await page.getByLabel('Stage 1 is an approval gate').uncheck()
    const tpl = page.getByLabel('Stage 1 Argo template (JSON)', { exact: true })
    await tpl.fill('{"name": "test",')
    await page.getByRole('button', { name: 'Save pipeline' }).click()
    await expectText(page.locator('.field', { has: tpl }).locator('.field-error'), 'Not valid JSON')
    await page.getByLabel('Stage 1 is an approval gate').check()
  })

  await step('pipeline: set one with an approval gate', async () => {
    await page.getByLabel('Repository', { exact: true }).fill(`https://git.example/${project}/hello.git`)
    await page.getByLabel('Stage 1 name', { exact: true }).fill('approve')
    await page.getByLabel('Stage 1 runs at', { exact: true }).selectOption('before-deploy')
    await page.getByRole('button', { name: 'Save pipeline' }).click()
    await expectText(page.locator('.pipeline-form .banner.ok'), 'Pipeline saved')
    await page.getByRole('heading', { name: 'Runs', exact: true }).waitFor()
    await screenshot('pipeline-saved')
  })

  await step('pipeline: start a run, its steps Pending', async () => {
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/runs\/[^/]+$/)
    runPath = new URL(page.url()).pathname
    const run = runPath.split('/').pop()
    await page.getByRole('heading', { name: `Run ${run}` }).waitFor()
    const steps = page.locator('tr[data-step]')
    await steps.first().waitFor()
    const names = await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))
    if (!names.includes('approve') || names.indexOf('approve') > names.indexOf('deploy') || names[0] !== 'clone') throw new Error(`steps ${names}`)
    for (const name of names) await expectText(page.locator(`tr[data-step="${name}"] [data-testid=step-phase]`), 'Pending')
    await expectText(page.locator('tr[data-step="approve"]'), 'approval gate')
    // The log stream answers (or is not there yet): either way the panel says so.
    await expectText(page.getByTestId('log-state'), /Waiting for the run to start|Live|Streaming|not available|closed|finished|End of/, 15_000)
    await screenshot('run-pending')
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Pipeline', exact: true }).click()
    const listed = page.locator(`tr[data-run="${run}"]`)
    await expectText(listed, 'manual')
    await expectText(listed.locator('[data-testid=run-phase]'), 'Pending')
    await screenshot('runs-list')
    await listed.getByRole('link', { name: run }).click()
    await page.getByRole('heading', { name: `Run ${run}` }).waitFor()
  })

  await step('pipeline: cancel the run', async () => {
    const dialog = page.getByRole('dialog')
    await page.getByRole('button', { name: 'Cancel run' }).click()
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Cancel run' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await expectText(notice(), 'Cancel requested')
    // The run itself says so once the page's poll has it (spec.shutdown is set).
    await page.getByText("Argo stops the run's steps and ends it.").waitFor()
  })

  await step('pipeline: hook with its one-time token', async () => {
    await page.goto(`${base}/projects/${project}/apps/${app}/envs/${env}/pipeline`)
    await page.getByRole('heading', { name: 'Git hook' }).waitFor()
    await page.getByRole('button', { name: 'Create hook' }).click()
    const token1 = (await expectText(page.getByTestId('hook-token'), /\w{16}/)).replace(/Copy$/, '').trim()
    await expectText(page.getByTestId('hook-credentials'), 'Shown once')
    await expectText(page.getByTestId('hook-url'), '/hooks/v1/')
    await page.getByRole('button', { name: 'Rotate hook credentials' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    const deadline = Date.now() + STEP_MS
    let token2 = token1
    while (token2 === token1 && Date.now() < deadline) {
      token2 = ((await page.getByTestId('hook-token').textContent()) ?? '').replace(/Copy$/, '').trim()
      await page.waitForTimeout(200)
    }
    if (token2 === token1) throw new Error('rotating showed the same token')
    await screenshot('hook-rotated')
    // Shown once: after a reload only the URL is left.
    await page.reload()
    await page.getByTestId('hook-url').waitFor()
    if ((await page.getByTestId('hook-token').count()) > 0) throw new Error('the hook token is shown again after a reload')
  })

  const promotionsPath = `/projects/${project}/apps/${app}/promotions`
  const promotionRow = (table, id) => page.locator(`table.${table} tr[data-promotion="${id}"]`)
  await step('promotions: ask to promote test → prod, pending, self-approval refused, reject', async () => {
    await page.goto(`${base}/projects/${project}/apps/${app}/envs/${env}`)
    await page.getByRole('link', { name: 'Promotions', exact: true }).click()
    await page.waitForURL(base + promotionsPath)
    // Each environment along the path with what it runs; prod has nothing yet.
    await expectText(page.locator('[data-env="test"] [data-testid=env-serving]'), `${app}-00001 100%`)
    await expectText(page.locator('[data-env="test"] [data-testid=env-release]'), `${app}-`)
    await expectText(page.locator('[data-env="prod"] [data-testid=env-serving]'), 'Not deployed in prod')
    const promote = page.locator('[data-from="test"][data-to="prod"]')
    await expectText(promote.getByTestId('diff'), 'Nothing serves in prod yet')
    await promote.getByLabel('Message', { exact: true }).fill('v1 to prod')
    await promote.getByRole('button', { name: 'Promote test → prod' }).click()
    await expectText(notice(), 'is pending: it needs 1 approval')
    const pending = page.locator('table.pending-promotions tr[data-promotion]')
    await pending.first().waitFor()
    const id = await pending.first().getAttribute('data-promotion')
    await expectText(promotionRow('pending-promotions', id), '0 of 1 approval')
    await expectText(promotionRow('promotions', id).getByTestId('promotion-state'), 'pending')
    await screenshot('promotion-pending')
    // The admin asked for it and prod forbids self-approval: refused, naming the rule.
    const dialog = page.getByRole('dialog')
    await page.getByRole('button', { name: `Approve promotion ${id}` }).click()
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click()
    await expectText(dialog.locator('.banner.error[data-rule="selfApproval"]'), 'Refused by rule selfApproval')
    await screenshot('promotion-self-approval-refused')
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByRole('button', { name: `Reject promotion ${id}` }).click()
    await dialog.waitFor()
    await dialog.getByLabel('Message (recorded with the decision)', { exact: true }).fill('not yet')
    await dialog.getByRole('button', { name: 'Reject', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    await expectText(notice(), `Rejected promotion ${id}`)
    await expectText(promotionRow('promotions', id).getByTestId('promotion-state'), 'rejected')
    await expectText(promotionRow('promotions', id), 'rejected by')
    await page.getByText('No promotion is waiting.').waitFor()
  })

  await step('promotions: break glass into prod, its history says so', async () => {
    const promote = page.locator('[data-from="test"][data-to="prod"]')
    await promote.getByLabel('Message', { exact: true }).fill('v1 to prod now')
    await promote.getByLabel('Break glass: skip approvals and windows').check()
    await promote.getByLabel('Break-glass reason', { exact: true }).fill('console e2e: break glass')
    await promote.getByRole('button', { name: 'Promote test → prod' }).click()
    // No approval: it deploys at once, as prod's first revision.
    await expectText(notice(), `Promoted ${app}-00001 to prod`)
    await expectText(page.locator('table.promotions tr[data-promotion]').first().getByTestId('promotion-state'), 'deployed')
    await expectText(page.locator('[data-env="prod"] [data-testid=env-serving]'), `${app}-00001`, READY_MS)
    await screenshot('promotion-break-glass')
    await page.goto(`${base}/projects/${project}/apps/${app}/envs/prod/history`)
    const timeline = page.locator('.timeline')
    await expectText(timeline, 'promoted from test')
    await expectText(timeline, 'console e2e: break glass')
    const actions = await timeline.locator('.entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))
    for (const want of ['promoted', 'promotion-requested', 'promotion-rejected']) {
      if (!actions.includes(want)) throw new Error(`prod's history actions ${actions}, want ${want} among them`)
    }
    await screenshot('prod-history')
  })

  const schedulesPath = (e) => `/projects/${project}/apps/${app}/envs/${e}/schedules`
  await step('schedules: add one in test, see its next five runs; pause it', async () => {
    await page.goto(`${base}/projects/${project}/apps/${app}/envs/${env}`)
    await tab('Schedules & scaling').click()
    await page.waitForURL(base + schedulesPath(env))
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor()
    await page.getByText('No schedules.').waitFor()
    await page.getByRole('button', { name: 'Add schedule', exact: true }).click()
    await page.getByLabel('Schedule name', { exact: true }).fill('nightly-cleanup')
    await page.getByLabel('Cron', { exact: true }).fill('0 2 * *')
    await page.getByLabel('Timezone', { exact: true }).fill('Europe/Berlin')
    await page.getByLabel('Path', { exact: true }).fill('/cleanup')
    await page.locator('form.schedule-form').getByRole('button', { name: 'Add schedule' }).click()
    // The body is the whole list: the API names the field [0].cron, shown beside Cron.
    await expectText(page.locator('.field', { has: page.getByLabel('Cron', { exact: true }) }).locator('.field-error'), 'cron')
    await expectText(page.locator('form.schedule-form .banner.error'), '[0].cron')
    await screenshot('schedule-field-error')
    await page.getByLabel('Cron', { exact: true }).fill('0 2 * * *')
    await page.locator('form.schedule-form').getByRole('button', { name: 'Add schedule' }).click()
    await expectText(notice(), 'Added nightly-cleanup.')
    const r = page.locator('tr[data-schedule="nightly-cleanup"]')
    const runs = r.locator('[data-testid=next-runs] time')
    await runs.nth(4).waitFor()
    if ((await runs.count()) !== 5) throw new Error(`${await runs.count()} next runs shown, want 5`)
    // Local time on screen, UTC in the title: 02:00 in Berlin is 00:00 or 01:00 UTC.
    const title = await runs.first().getAttribute('title')
    if (!/^\d{4}-\d\d-\d\dT0[01]:00:00Z \(UTC\)$/.test(title ?? '')) throw new Error(`first run's title ${title}`)
    // Polled without a reload: the PingSource turns Ready (Eventing's reconciler runs here).
    await expectText(r.getByTestId('schedule-state'), 'ready', READY_MS)
    await screenshot('schedule-ready')
    await page.getByRole('button', { name: 'Pause schedule nightly-cleanup' }).click()
    await expectText(notice(), 'Paused nightly-cleanup')
    await expectText(r.getByTestId('schedule-state'), 'paused')
    await page.getByRole('button', { name: 'Resume schedule nightly-cleanup' }).click()
    await expectText(notice(), 'Resumed nightly-cleanup.')
    await expectText(r.getByTestId('schedule-state'), 'ready', READY_MS)
    // Someone else changes the schedules while the form is open: saving is refused (412).
    await page.getByRole('button', { name: 'Edit schedule nightly-cleanup' }).click()
    await page.getByLabel('Path', { exact: true }).fill('/mine')
    const other = await page.request.put(`${base}/api/v1/projects/${project}/apps/${app}/envs/${env}/schedules`, {
      headers: { Authorization: `Bearer ${token}` },
      data: [{ name: 'nightly-cleanup', cron: '0 2 * * *', timezone: 'Europe/Berlin', path: '/theirs', enabled: true }],
    })
    if (other.status() !== 200) throw new Error(`the other change: ${other.status()} ${await other.text()}`)
    await page.locator('form.schedule-form').getByRole('button', { name: 'Save schedule' }).click()
    await expectText(page.getByTestId('stale'), 'Changed by someone else, reload.')
    await screenshot('schedule-stale')
    await page.getByTestId('stale').getByRole('button', { name: 'Reload' }).click()
    await expectText(r, '/theirs')
  })

  await step('scaling: a window, the next change and the timeline', async () => {
    await page.getByRole('button', { name: 'Edit windows' }).click()
    await page.getByRole('button', { name: 'Add window' }).click()
    await page.getByLabel('Window 1 name', { exact: true }).fill('sunday-backup')
    await page.getByLabel('Window 1 start', { exact: true }).fill('0 3 * * 0')
    await page.getByLabel('Window 1 ends', { exact: true }).selectOption('duration')
    await page.getByLabel('Window 1 duration', { exact: true }).fill('1h')
    await page.getByLabel('Window 1 timezone', { exact: true }).fill('UTC')
    await page.getByLabel('Window 1 min scale', { exact: true }).fill('2')
    await page.getByRole('button', { name: 'Save windows' }).click()
    await page.getByText('Scaling windows saved.').waitFor()
    const w = page.locator('tr[data-window="sunday-backup"]')
    await expectText(w, 'for 1h')
    await expectText(page.getByTestId('next-change'), 'to ')
    await page.getByTestId('timeline').locator('rect').first().waitFor({ state: 'attached' })
    await page.getByRole('button', { name: 'Week', exact: true }).click()
    await page.getByRole('heading', { name: 'Minimum pods, the next week' }).waitFor()
    // Within a week the window opens at least once: the bar strip shows 2 somewhere.
    await page.locator('[data-testid=timeline] rect[data-min="2"]').first().waitFor({ state: 'attached' })
    await screenshot('scaling-timeline')
  })

  await step('schedules: prod refuses, naming schedulesDenied', async () => {
    await page.goto(base + schedulesPath('prod'))
    await page.getByTestId('schedules-denied').waitFor()
    await page.getByRole('button', { name: 'Add schedule', exact: true }).click()
    await page.getByLabel('Schedule name', { exact: true }).fill('nightly-cleanup')
    await page.getByLabel('Cron', { exact: true }).fill('0 2 * * *')
    await page.getByLabel('Timezone', { exact: true }).fill('Europe/Berlin')
    await page.locator('form.schedule-form').getByRole('button', { name: 'Add schedule' }).click()
    await expectText(page.locator('form.schedule-form .banner.error[data-rule="schedulesDenied"]'), 'Refused by rule schedulesDenied')
    await screenshot('schedules-denied-prod')
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    await page.getByText('No schedules.').waitFor()
  })

  if (userToken) {
    await step('a viewer is offered no changes', async () => {
      await page.goto(`${base}/projects/${project}/members`)
      await page.getByRole('heading', { name: 'Grant a role' }).waitFor()
      await page.getByLabel('Name', { exact: true }).fill(userName)
      await page.getByLabel('Role', { exact: true }).selectOption('viewer')
      await page.getByRole('button', { name: 'Grant', exact: true }).click()
      await expectText(page.locator('table'), `${userName}viewer`)
      // Another tab has its own session: sign in there as the viewer.
      const viewer = await context.newPage()
      viewer.setDefaultTimeout(STEP_MS)
      try {
        await viewer.goto(`${base}/projects/${project}/apps/${app}/envs/${env}`)
        await viewer.getByLabel('Bearer token', { exact: true }).fill(userToken)
        await viewer.getByRole('button', { name: 'Sign in' }).click()
        await viewer.getByRole('heading', { name: `${app} in ${env}` }).waitFor()
        // RBAC and platform-api's authorization cache (10 s) take a moment to see the grant.
        // Each try waits for the page's data before reloading: checking right after a reload
        // raced the page's own API calls, and lost every time on a busy machine.
        const deadline = Date.now() + 60_000
        for (;;) {
          try {
            await viewer.locator('tr[data-revision]').first().waitFor({ timeout: 8000 })
            await viewer.getByText('You may read this app').waitFor({ timeout: 8000 })
            break
          } catch (e) {
            if (Date.now() > deadline) {
              await viewer.screenshot({ path: join(artifacts, `${String(++shot).padStart(2, '0')}-FAILED-viewer.png`), fullPage: true })
              const seen = (await viewer.locator('main').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 600)
              throw new Error(`the viewer never saw the revisions read-only (${e.message.split('\n')[0]}); the page says: ${seen}`)
            }
            await viewer.reload()
          }
        }
        const offered = async (name) => (await viewer.getByRole('button', { name }).count()) + (await viewer.getByRole('link', { name, exact: true }).count())
        for (const name of ['Roll back', 'Deploy', `Delete ${app} from ${env}`]) {
          if ((await offered(name)) > 0) throw new Error(`the viewer is offered "${name}"`)
        }
        await viewer.getByRole('navigation', { name: 'App' }).getByRole('link', { name: 'Traffic', exact: true }).click()
        await viewer.getByRole('heading', { name: 'Traffic split' }).waitFor()
        if ((await viewer.getByRole('button', { name: 'Save split' }).count()) > 0) throw new Error('the viewer may save a split')
        if (!(await viewer.getByLabel('Percent 1', { exact: true }).isDisabled())) throw new Error('the viewer may edit percentages')
        await viewer.screenshot({ path: join(artifacts, `${String(++shot).padStart(2, '0')}-viewer-traffic.png`), fullPage: true })
        await viewer.getByRole('navigation', { name: 'App' }).getByRole('link', { name: 'Pipeline', exact: true }).click()
        await viewer.getByRole('heading', { name: 'Pipeline', exact: true }).waitFor()
        for (const name of ['Save pipeline', 'Start run', 'Rotate hook credentials', 'Add stage']) {
          if ((await viewer.getByRole('button', { name }).count()) > 0) throw new Error(`the viewer is offered "${name}"`)
        }
        if (!(await viewer.getByLabel('Repository', { exact: true }).isDisabled())) throw new Error('the viewer may edit the pipeline')
        await viewer.getByRole('navigation', { name: 'App' }).getByRole('link', { name: 'Schedules & scaling', exact: true }).click()
        await viewer.locator('tr[data-schedule="nightly-cleanup"]').waitFor()
        for (const name of ['Add schedule', 'Edit windows', 'Pause schedule nightly-cleanup', 'Remove schedule nightly-cleanup']) {
          if ((await viewer.getByRole('button', { name }).count()) > 0) throw new Error(`the viewer is offered "${name}"`)
        }
        await viewer.goto(base + promotionsPath)
        await viewer.getByTestId('may-not-promote').waitFor()
        for (const name of [/^Promote /, /^Approve promotion/, /^Reject promotion/]) {
          if ((await viewer.getByRole('button', { name }).count()) > 0) throw new Error(`the viewer is offered "${name}"`)
        }
        await viewer.goto(base + '/')
        await viewer.getByRole('heading', { name: 'Projects', exact: true }).waitFor()
        await viewer.getByRole('link', { name: project, exact: true }).waitFor()
        if ((await viewer.getByRole('heading', { name: 'New project' }).count()) > 0) throw new Error('the viewer is offered "New project"')
      } finally {
        await viewer.close()
      }
    })
  }

  await step('network failures are shown', async () => {
    await page.goto(`${base}/projects/${project}/apps/${app}/envs/${env}`)
    await row(`${app}-00001`).waitFor()
    await page.route('**/revisions', (r) => r.abort('connectionrefused'))
    await expectText(page.locator('.banner.error').first(), 'Network error', 15_000)
    await screenshot('network-error')
    await page.unroute('**/revisions')
    await page.locator('.banner.error').first().waitFor({ state: 'detached', timeout: 15_000 })
  })

  await step('390 px wide', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const [name, path] of [
      ['revisions', `/projects/${project}/apps/${app}/envs/${env}`],
      ['traffic', `/projects/${project}/apps/${app}/envs/${env}/traffic`],
      ['project', `/projects/${project}`],
      ['pipeline', `/projects/${project}/apps/${app}/envs/${env}/pipeline`],
      ['schedules', schedulesPath(env)],
      ['promotions', promotionsPath],
      ['run', runPath],
    ]) {
      await page.goto(base + path)
      await page.getByRole('heading', { level: 1 }).waitFor()
      await page.waitForTimeout(500)
      const width = await page.evaluate(() => document.documentElement.scrollWidth)
      if (width > 390) throw new Error(`${name} page is ${width}px wide at a 390px viewport`)
      await screenshot(`mobile-${name}`)
    }
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  if (problems.length) throw new Error('browser problems:\n  ' + problems.join('\n  '))
  log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)}s`)
} catch (e) {
  failed = true
  console.error(`console.e2e: FAIL: ${e.message}`)
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '))
} finally {
  await context.close().catch(() => {})
  rmSync(profile, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
