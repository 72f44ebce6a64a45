import { describe, expect, it } from 'vitest'
import { changes, fireTimes, fromScheduleForm, fromWindowRows, parseCron, parseDuration, scheduleForm, stateClass, timeline, toSchedule, windowRow, withSchedule } from './schedule'
import type { ScalingWindowState, ScheduleView } from './schema'

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z')
const at = (s: string) => Date.parse(s)
const next5 = (expr: string, tz: string, from: string) => fireTimes(parseCron(expr), tz, at(from), at(from) + 400 * 86_400_000, 5).map(iso)

// The expected times are robfig/cron's (the API's parser): Schedule.Next in each zone.
describe('fireTimes', () => {
  it('skips the minute a spring-forward removes, like the API', () => {
    expect(next5('0 2 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z')).toEqual([
      '2026-03-27T01:00:00Z',
      '2026-03-28T01:00:00Z',
      '2026-03-30T00:00:00Z',
      '2026-03-31T00:00:00Z',
      '2026-04-01T00:00:00Z',
    ])
  })
  it('fires twice in the hour an autumn repeats, like the API', () => {
    expect(next5('30 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z')).toEqual([
      '2026-10-23T00:30:00Z',
      '2026-10-24T00:30:00Z',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-26T01:30:00Z',
    ])
  })
  it('reads a day of the month and a weekday as either', () => {
    expect(next5('0 0 13 * 5', 'UTC', '2026-01-01T00:00:00Z')).toEqual(['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-13T00:00:00Z', '2026-01-16T00:00:00Z', '2026-01-23T00:00:00Z'])
  })
  it('steps, ranges, names and zones with odd offsets', () => {
    expect(next5('*/20 9-10 * * MON-FRI', 'America/New_York', '2026-12-04T00:00:00Z')).toEqual([
      '2026-12-04T14:00:00Z',
      '2026-12-04T14:20:00Z',
      '2026-12-04T14:40:00Z',
      '2026-12-04T15:00:00Z',
      '2026-12-04T15:20:00Z',
    ])
    expect(next5('15 */6 1,15 * ?', 'Asia/Kathmandu', '2026-12-01T00:00:00Z')).toEqual([
      '2026-12-01T00:30:00Z',
      '2026-12-01T06:30:00Z',
      '2026-12-01T12:30:00Z',
      '2026-12-14T18:30:00Z',
      '2026-12-15T00:30:00Z',
    ])
    expect(next5('0 9 * jan,jul sun', 'Australia/Lord_Howe', '2026-12-01T00:00:00Z')).toEqual([
      '2027-01-02T22:00:00Z',
      '2027-01-09T22:00:00Z',
      '2027-01-16T22:00:00Z',
      '2027-01-23T22:00:00Z',
      '2027-01-30T22:00:00Z',
    ])
    expect(next5('5/15 3 * * 0', 'UTC', '2026-12-01T00:00:00Z')).toEqual(['2026-12-06T03:05:00Z', '2026-12-06T03:20:00Z', '2026-12-06T03:35:00Z', '2026-12-06T03:50:00Z', '2026-12-13T03:05:00Z'])
  })
  it('counts from after from, up to to', () => {
    expect(fireTimes(parseCron('0 * * * *'), 'UTC', at('2026-12-01T01:00:00Z'), at('2026-12-01T03:00:00Z')).map(iso)).toEqual(['2026-12-01T02:00:00Z', '2026-12-01T03:00:00Z'])
  })
})

describe('parseCron', () => {
  it('refuses what the API refuses', () => {
    for (const bad of ['* * * * 7', '0 2 * *', '@daily', '60 * * * *', '*/0 * * * *', '5-1 * * * *', '1-2-3 * * * *', '0 0 0 * *', 'a * * * *', '', '0 0 * * * *']) {
      expect(() => parseCron(bad), bad).toThrow()
    }
  })
})

describe('parseDuration', () => {
  it('reads Go durations', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000)
    expect(parseDuration('1h30m')).toBe(90 * 60_000)
    expect(parseDuration('1.5h')).toBe(90 * 60_000)
    for (const bad of ['', '90', 'm', '1d', '1h 30m']) expect(parseDuration(bad), bad).toBeNaN()
  })
})

const win = (w: Partial<ScalingWindowState> & { name: string; start: string; minScale: number }): ScalingWindowState => ({ active: false, ...w })
const segs = (t: ReturnType<typeof timeline>) => t.segments.map((s) => `${iso(s.from)} ${s.minScale} ${s.open.join('+')}`.trim())
const DAY = 86_400_000

describe('timeline', () => {
  const office = win({ name: 'office', start: '0 9 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Berlin', minScale: 3 })
  const launch = win({ name: 'launch', start: '30 12 * * *', duration: '2h', timezone: 'UTC', minScale: 5 })

  it('follows the windows as the API does (the boundaries of pkg/scaling.At)', () => {
    const t = timeline({ ownMinScale: 1, windows: [office, launch] }, at('2026-12-07T06:00:00Z'), 2 * DAY)
    expect(segs(t)).toEqual([
      '2026-12-07T06:00:00Z 1',
      '2026-12-07T08:00:00Z 3 office',
      '2026-12-07T12:30:00Z 5 office+launch',
      '2026-12-07T14:30:00Z 3 office',
      '2026-12-07T17:00:00Z 1',
      '2026-12-08T08:00:00Z 3 office',
      '2026-12-08T12:30:00Z 5 office+launch',
      '2026-12-08T14:30:00Z 3 office',
      '2026-12-08T17:00:00Z 1',
    ])
    expect(t.segments[t.segments.length - 1].to).toBe(at('2026-12-09T06:00:00Z'))
    expect(changes(t.segments).slice(0, 2).map((c) => `${iso(c.at)} ${c.minScale}`)).toEqual(['2026-12-07T08:00:00Z 3', '2026-12-07T12:30:00Z 5'])
    expect(t.skipped).toEqual([])
  })

  it('starts from what the server says is open now', () => {
    const t = timeline(
      { ownMinScale: 0, windows: [{ ...office, active: true }, { ...launch, start: '0 11 * * *', active: true, nextEnd: '2026-12-07T13:00:00Z' }] },
      at('2026-12-07T12:00:00Z'),
      DAY / 4,
    )
    expect(segs(t)).toEqual(['2026-12-07T12:00:00Z 5 office+launch', '2026-12-07T13:00:00Z 3 office', '2026-12-07T17:00:00Z 0'])
  })

  it('never goes below the app’s own minimum; a weekend has no office hours', () => {
    const t = timeline({ ownMinScale: 4, windows: [office] }, at('2026-12-05T00:00:00Z'), 2 * DAY)
    expect(segs(t)).toEqual(['2026-12-05T00:00:00Z 4'])
  })

  it('an end-cron window whose start and end share a minute stays closed', () => {
    const t = timeline({ ownMinScale: 0, windows: [win({ name: 'odd', start: '0 * * * *', end: '0 */2 * * *', minScale: 2 })] }, at('2026-12-07T00:00:00Z'), DAY / 6)
    expect(segs(t)).toEqual(['2026-12-07T00:00:00Z 0', '2026-12-07T01:00:00Z 2 odd', '2026-12-07T02:00:00Z 0', '2026-12-07T03:00:00Z 2 odd'])
  })

  it('overlapping duration spans merge', () => {
    const t = timeline({ ownMinScale: 0, windows: [win({ name: 'hourly', start: '0 * * * *', duration: '90m', minScale: 2 })] }, at('2026-12-07T00:30:00Z'), DAY / 8)
    expect(segs(t)).toEqual(['2026-12-07T00:30:00Z 0', '2026-12-07T01:00:00Z 2 hourly'])
  })

  it('leaves out a window it cannot read, and says so', () => {
    const t = timeline({ ownMinScale: 1, windows: [win({ name: 'weird', start: '@hourly', duration: '1h', minScale: 9 }), office] }, at('2026-12-07T06:00:00Z'), DAY / 4)
    expect(t.skipped).toEqual(['weird'])
    expect(segs(t)).toEqual(['2026-12-07T06:00:00Z 1', '2026-12-07T08:00:00Z 3 office'])
  })
})

describe('schedules bodies', () => {
  const view = (name: string, extra: Partial<ScheduleView> = {}): ScheduleView => ({
    name,
    cron: '0 2 * * *',
    timezone: 'Europe/Berlin',
    enabled: true,
    nextRuns: ['2026-12-03T01:00:00Z'],
    state: 'ready',
    pingSource: name,
    ...extra,
  })
  it('sends back what was read, without the view’s fields', () => {
    expect(toSchedule(view('cleanup', { path: '/cleanup', message: 'x', data: '{}', contentType: 'application/json' }))).toEqual({
      name: 'cleanup',
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      enabled: true,
      path: '/cleanup',
      data: '{}',
      contentType: 'application/json',
    })
  })
  it('adds, replaces and removes one schedule in the whole array', () => {
    const vs = [view('a'), view('b')]
    const c = fromScheduleForm({ ...scheduleForm(undefined, 'UTC'), name: ' c ', cron: ' 0  3 * * * ' })
    expect(c).toEqual({ name: 'c', cron: '0 3 * * *', timezone: 'UTC', enabled: true })
    expect(withSchedule(vs, 2, c).map((s) => s.name)).toEqual(['a', 'b', 'c'])
    expect(withSchedule(vs, 0, { ...toSchedule(vs[0]), enabled: false }).map((s) => s.enabled)).toEqual([false, true])
    expect(withSchedule(vs, 0).map((s) => s.name)).toEqual(['b'])
  })
  it('badges the states', () => {
    expect(['ready', 'pending', 'failed', 'denied', 'paused', 'unknown'].map(stateClass)).toEqual(['ok', 'pending', 'bad', 'bad', 'skipped', 'skipped'])
  })
  it('window rows: end or duration', () => {
    const rows = [windowRow({ name: 'office', start: '0 9 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Berlin', minScale: 3 }), windowRow({ name: 'sale', start: '0 20 * * 5', duration: '3h', minScale: 2 }, 'UTC')]
    expect(rows[1].until).toBe('duration')
    expect(fromWindowRows(rows)).toEqual([
      { name: 'office', start: '0 9 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Berlin', minScale: 3 },
      { name: 'sale', start: '0 20 * * 5', duration: '3h', timezone: 'UTC', minScale: 2 },
    ])
  })
})
