// The promotions page's parts that need no API (server-side rendered): the diff between two
// environments, a promotion's state and outcome; and the history's promotion entries.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { DiffView, PromotionOutcome, StateBadge } from './Promotion'
import { Timeline, verb } from '../pages/History'
import type { HistoryEntry, Promotion } from '../schema'

describe('DiffView', () => {
  it('lists each difference with both sides', () => {
    const html = renderToStaticMarkup(
      <DiffView
        diff={{
          from: 'test',
          to: 'prod',
          fromRevision: 'hello-00002',
          toRevision: 'hello-00001',
          fromRelease: 'hello-bbb',
          toRelease: 'hello-aaa',
          differences: [
            { field: 'image', from: 'dev.local/hello:v2', to: 'dev.local/hello:v1' },
            { field: 'env.FEATURE', from: 'set', to: '' },
          ],
        }}
      />,
    )
    expect(html).toContain('<th scope="col">test</th><th scope="col">prod</th>')
    expect(html).toContain('data-field="image"')
    expect(html).toContain('dev.local/hello:v2')
    expect(html).toMatch(/data-field="env.FEATURE".*set.*—/)
    expect(html).not.toContain('same release')
  })
  it('says when both run the same release', () => {
    const html = renderToStaticMarkup(
      <DiffView diff={{ from: 'test', to: 'prod', fromRevision: 'a', toRevision: 'b', fromRelease: 'hello-aaa', toRelease: 'hello-aaa', differences: [] }} />,
    )
    expect(html).toContain('prod runs the same release as test.')
    expect(html).not.toContain('<table')
  })
  it('says when nothing serves in the target yet', () => {
    const html = renderToStaticMarkup(
      <DiffView diff={{ from: 'test', to: 'prod', fromRevision: 'hello-00001', toRevision: '', differences: [{ field: 'image', from: 'x:v1', to: '' }] }} />,
    )
    expect(html).toContain('Nothing serves in prod yet.')
  })
})

const promotion = (more: Partial<Promotion>): Promotion => ({
  id: 'hello-7k2m9', project: 'p', app: 'hello', from: 'test', to: 'prod', revision: 'hello-00003', release: 'hello-3f9a0c1d',
  requestedBy: 'alice', requiredApprovals: 1, approvals: [], state: 'pending', createdAt: '', updatedAt: '', ...more,
})

describe('a promotion', () => {
  it('badges its state', () => {
    expect(renderToStaticMarkup(<StateBadge state="deployed" />)).toBe('<span class="badge ok" data-state="deployed">deployed</span>')
    expect(renderToStaticMarkup(<StateBadge state="pending" />)).toBe('<span class="badge pending" data-state="pending">pending</span>')
  })
  it('says what it waits for, or how it ended', () => {
    expect(renderToStaticMarkup(<PromotionOutcome p={promotion({})} />)).toContain('waiting for 1 approval')
    const deployed = renderToStaticMarkup(<PromotionOutcome p={promotion({ state: 'deployed', deployedRevision: 'hello-00009', approvals: [{ user: 'bob', time: '' }] })} />)
    expect(deployed).toContain('deployed as <span class="mono">hello-00009</span>')
    expect(deployed).toContain('approved by bob')
    const rejected = renderToStaticMarkup(<PromotionOutcome p={promotion({ state: 'rejected', rejection: { user: 'bob', time: '', message: 'not today' } })} />)
    expect(rejected).toContain('rejected by bob: “not today”')
    const glass = renderToStaticMarkup(<PromotionOutcome p={promotion({ state: 'deployed', breakGlass: { user: 'carol', time: '', message: 'outage fix' } })} />)
    expect(glass).toContain('break-glass</span> by carol: outage fix')
  })
})

describe('history', () => {
  it('names the promotion actions, and any other by its name', () => {
    expect(verb('promoted')).toBe('Promoted')
    expect(verb('promotion-requested')).toBe('Asked to promote')
    expect(verb('promotion-approved')).toBe('Approved the promotion of')
    expect(verb('promotion-rejected')).toBe('Rejected the promotion of')
    expect(verb('deploy')).toBe('Deployed')
    expect(verb('scale-up')).toBe('Scale up')
    expect(verb('breakGlassDeploy')).toBe('Break glass deploy')
    expect(verb('')).toBe('Changed')
  })

  it('shows where a promoted revision came from, its release and a break-glass reason, newest first', () => {
    const from = { env: 'test', revision: 'hello-00002', release: 'hello-bbb', promotion: 'hello-7k2m9' }
    const entries: HistoryEntry[] = [
      { time: '2026-12-01T10:00:00Z', user: 'alice', action: 'promotion-requested', revision: 'hello-00002', release: 'hello-bbb', promotedFrom: from, message: 'v2 soaked', traffic: [] },
      { time: '2026-12-01T10:05:00Z', user: 'bob', action: 'promotion-approved', revision: 'hello-00002', release: 'hello-bbb', promotedFrom: from, traffic: [] },
      { time: '2026-12-01T10:05:01Z', user: 'bob', action: 'promoted', revision: 'hello-00001', image: 'dev.local/hello:v2', release: 'hello-bbb', promotedFrom: from, breakGlass: 'outage', traffic: [{ revision: 'hello-00001', percent: 100 }] },
    ]
    const html = renderToStaticMarkup(<Timeline entries={entries} now={Date.parse('2026-12-01T10:10:00Z')} />)
    expect([...html.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1])).toEqual(['promoted', 'promotion-approved', 'promotion-requested'])
    expect(html).toContain('<strong>Promoted</strong> hello-00001')
    expect(html).toContain('promoted from <strong>test</strong> (<span class="mono">hello-00002</span>, release <span class="mono">hello-bbb</span>) by promotion <span class="mono">hello-7k2m9</span>')
    expect(html).toContain('break-glass</span> outage')
    expect(html).toContain('“v2 soaked”')
    // Only the deploy moved traffic: one bar.
    expect(html.match(/class="traffic-bar"/g)).toHaveLength(1)
  })
})
