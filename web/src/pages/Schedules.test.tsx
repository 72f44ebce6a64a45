// The minimum-pods timeline rendered (server-side, no DOM needed): bars from the helper's
// segments, the changes in words, windows it cannot read named.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { MinimumTimeline } from './Schedules'
import type { ScalingView } from '../schema'

const view: ScalingView = {
  ownMinScale: 1,
  effectiveMinScale: 1,
  windows: [
    { name: 'office', start: '0 9 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Berlin', minScale: 3, active: false },
    { name: 'odd', start: '@hourly', duration: '1h', minScale: 9, active: false },
  ],
}

describe('MinimumTimeline', () => {
  const html = renderToStaticMarkup(<MinimumTimeline view={view} now={Date.parse('2026-12-07T06:00:00Z')} />)
  it('draws a bar per level, raised ones apart', () => {
    expect(html.match(/<rect /g)?.length).toBe(3)
    expect(html).toContain('class="raised" data-min="3"')
    expect(html).toContain('class="own" data-min="1"')
  })
  it('lists the changes with their UTC value in the title', () => {
    expect(html).toContain('data-testid="timeline-changes"')
    expect(html).toContain('title="2026-12-07T08:00:00Z (UTC)"')
    expect(html).toContain('title="2026-12-07T17:00:00Z (UTC)"')
  })
  it('names the windows it leaves out', () => {
    expect(html).toContain('Not drawn (the console cannot read their cron): odd')
  })
  it('offers a day and a week', () => {
    expect(html).toContain('aria-pressed="true">Day</button>')
    expect(html).toContain('>Week</button>')
  })
})
