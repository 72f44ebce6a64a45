// Promotions' pure parts: the path and its steps, policy notes, releases per environment,
// states and approvals, and a refusal's rule and next opening as the error banner shows them.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { ApiError } from './api'
import { ErrorBanner } from './components/errors'
import { until } from './format'
import { approvalCount, approvalsMissing, outcome, policyNotes, promotionPath, refusal, releasesIn, split, stateClass, steps } from './promotion'
import type { Environment, Promotion, ReleaseView } from './schema'

const env = (name: string, more: Partial<Environment> = {}): Environment => ({ name, minScale: 0, ...more })
const envs = [env('dev'), env('test'), env('prod', { deployVia: 'promotion', requireApprovals: { count: 1, forbidSelfApproval: true } })]

const promotion = (more: Partial<Promotion> = {}): Promotion => ({
  id: 'hello-7k2m9',
  project: 'p',
  app: 'hello',
  from: 'test',
  to: 'prod',
  revision: 'hello-00003',
  release: 'hello-3f9a0c1d',
  requestedBy: 'alice',
  requiredApprovals: 1,
  approvals: [],
  state: 'pending',
  createdAt: '2026-12-01T10:00:00Z',
  updatedAt: '2026-12-01T10:00:00Z',
  ...more,
})

describe('the promotion path', () => {
  it('follows the configured path, else the order the API lists the environments in', () => {
    expect(promotionPath(envs, ['test', 'prod']).map((e) => e.name)).toEqual(['test', 'prod'])
    expect(promotionPath(envs, ['prod', 'gone', 'dev']).map((e) => e.name)).toEqual(['prod', 'dev'])
    expect(promotionPath(envs).map((e) => e.name)).toEqual(['dev', 'test', 'prod'])
    expect(promotionPath([env('b'), env('a')], []).map((e) => e.name)).toEqual(['b', 'a'])
  })
  it('has a step from each environment to the next', () => {
    expect(steps(promotionPath(envs)).map((s) => `${s.from.name}→${s.to.name}`)).toEqual(['dev→test', 'test→prod'])
    expect(steps([env('only')])).toEqual([])
    expect(steps([])).toEqual([])
  })
  it('says how a release gets into an environment', () => {
    expect(policyNotes(env('test'))).toEqual([])
    expect(policyNotes(envs[2])).toEqual(['reached by promotion only', '1 approval, not by the requester'])
    expect(
      policyNotes(env('prod', { requireApprovals: { count: 2, groups: ['sre', 'leads'] }, soak: '1h', windows: [{ kind: 'allow', cron: '0 9 * * 1-5', duration: '8h' }], strategies: ['canary'] })),
    ).toEqual(['2 approvals from sre or leads', 'soak 1h in the previous environment', '1 deploy window', 'strategies: canary'])
  })
})

describe('releases per environment', () => {
  const releases: ReleaseView[] = [
    { name: 'hello-aaa', image: 'x:v1', environments: [{ env: 'prod', revision: 'hello-00001', percent: 100 }, { env: 'test', revision: 'hello-00001', percent: 20 }], recorded: { at: '', env: 'test' } },
    { name: 'hello-bbb', image: 'x:v2', unpinned: true, environments: [{ env: 'test', revision: 'hello-00002', percent: 80 }], recorded: { at: '', env: 'test' } },
  ]
  it('lists what serves in an environment, the largest share first', () => {
    expect(releasesIn(releases, 'test')).toEqual([
      { name: 'hello-bbb', revision: 'hello-00002', percent: 80, unpinned: true },
      { name: 'hello-aaa', revision: 'hello-00001', percent: 20, unpinned: false },
    ])
    expect(releasesIn(releases, 'prod').map((r) => r.name)).toEqual(['hello-aaa'])
    expect(releasesIn(releases, 'dev')).toEqual([])
  })
})

describe('promotions', () => {
  it('count approvals against what the target requires', () => {
    expect(approvalCount(promotion())).toBe('0 of 1 approval')
    expect(approvalCount(promotion({ requiredApprovals: 2, approvals: [{ user: 'bob', time: '' }] }))).toBe('1 of 2 approvals')
    expect(approvalCount(promotion({ requiredApprovals: 0 }))).toBe('no approval needed')
    expect(approvalsMissing(promotion({ requiredApprovals: 2, approvals: [{ user: 'bob', time: '' }] }))).toBe(1)
    expect(approvalsMissing(promotion({ state: 'deployed', approvals: [{ user: 'bob', time: '' }] }))).toBe(0)
  })
  it('badge each state', () => {
    expect(['pending', 'deploying', 'deployed', 'rejected', 'failed', 'new'].map(stateClass)).toEqual(['pending', 'running', 'ok', 'bad', 'bad', 'skipped'])
  })
  it('split into pending and the rest, keeping the order', () => {
    const list = [promotion({ id: 'c' }), promotion({ id: 'b', state: 'deployed' }), promotion({ id: 'a' })]
    const { pending, others } = split(list)
    expect(pending.map((p) => p.id)).toEqual(['c', 'a'])
    expect(others.map((p) => p.id)).toEqual(['b'])
  })
  it('say what a promotion just asked for does next', () => {
    expect(outcome(promotion())).toBe('Promotion hello-7k2m9 of hello-00003 to prod is pending: it needs 1 approval.')
    expect(outcome(promotion({ state: 'deployed', deployedRevision: 'hello-00007' }))).toBe('Promoted hello-00003 to prod as hello-00007.')
    expect(outcome(promotion({ state: 'failed', error: 'quota' }))).toBe('Promotion hello-7k2m9 failed: quota')
  })
})

describe('a policy refusal', () => {
  const windowClosed = new ApiError('Conflict', 409, {
    type: 'about:blank',
    title: 'Conflict',
    status: 409,
    detail: "prod's windows are closed",
    rule: 'window',
    nextOpening: '2026-12-01T12:00:00Z',
  })
  const selfApproval = new ApiError('Forbidden', 403, { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'alice asked for promotion x and may not approve it', rule: 'selfApproval' })

  it('is read from the problem', () => {
    expect(refusal(windowClosed)).toEqual({ rule: 'window', explanation: 'the target environment is outside its deploy windows', nextOpening: '2026-12-01T12:00:00Z' })
    expect(refusal(selfApproval)?.rule).toBe('selfApproval')
    expect(refusal(selfApproval)?.nextOpening).toBeUndefined()
    expect(refusal(new ApiError('Unprocessable', 422, { type: 'about:blank', title: 'Unprocessable', status: 422 }))).toBeUndefined()
    expect(refusal(undefined)).toBeUndefined()
    expect(refusal(new ApiError('Conflict', 409, { type: 'about:blank', title: 'Conflict', status: 409, rule: 'brandNew' }))).toEqual({ rule: 'brandNew', explanation: undefined, nextOpening: undefined })
  })

  it('shows its rule and when it opens', () => {
    const now = Date.parse('2026-12-01T10:00:00Z')
    const html = renderToStaticMarkup(<ErrorBanner error={windowClosed} prefix="Promotion refused" now={now} />)
    expect(html).toContain('data-rule="window"')
    expect(html).toContain('Promotion refused: Conflict')
    expect(html).toContain('Refused by rule <code>window</code>: the target environment is outside its deploy windows.')
    expect(html).toContain('Next opening: <time dateTime="2026-12-01T12:00:00Z">')
    expect(html).toContain('(in 2 h)')
  })

  it('without a next opening shows the rule alone', () => {
    const html = renderToStaticMarkup(<ErrorBanner error={selfApproval} />)
    expect(html).toContain('Refused by rule <code>selfApproval</code>: whoever asked for a promotion may not approve it here')
    expect(html).not.toContain('Next opening')
  })

  it('other failures show no rule', () => {
    const html = renderToStaticMarkup(<ErrorBanner error={new ApiError('boom', 500, { type: 'about:blank', title: 'Internal', status: 500 })} />)
    expect(html).not.toContain('data-rule')
    expect(html).not.toContain('Refused by rule')
  })
})

describe('until', () => {
  const now = Date.parse('2026-12-01T10:00:00Z')
  it('says how far ahead a time is', () => {
    expect(until('2026-12-01T10:00:30Z', now)).toBe('in 30 s')
    expect(until('2026-12-01T10:05:00Z', now)).toBe('in 5 min')
    expect(until('2026-12-03T10:00:00Z', now)).toBe('in 2 d')
    expect(until('2026-12-01T09:00:00Z', now)).toBe('now')
    expect(until('soon', now)).toBe('soon')
  })
})
