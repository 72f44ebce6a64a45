// Schedules and scaling windows in the console, the pure part: a schedule's wire body from its
// view, the words and badge of its state, a five-field cron read as the API reads it
// (robfig/cron's standard fields), its fire times in an IANA zone, and the timeline of an
// app's minimum instances over the next day or week. pages/Schedules.tsx draws them.
import type { Schedule, ScalingView, ScalingWindow, ScheduleView } from './schema'

/** toSchedule is what PUT …/schedules takes back for a schedule GET showed. */
export function toSchedule(v: ScheduleView): Schedule {
  const s: Schedule = { name: v.name, cron: v.cron, timezone: v.timezone, enabled: v.enabled }
  if (v.path) s.path = v.path
  if (v.contentType) s.contentType = v.contentType
  if (v.data) s.data = v.data
  return s
}

/** stateClass is the badge class of a schedule's state (ready, pending, failed, paused, denied, unknown). */
export function stateClass(state: string): string {
  switch (state) {
    case 'ready':
      return 'ok'
    case 'pending':
      return 'pending'
    case 'failed':
    case 'denied':
      return 'bad'
    default:
      return 'skipped'
  }
}

/** The form of one schedule; every field a string or flag as the inputs hold them. */
export interface ScheduleForm {
  name: string
  cron: string
  timezone: string
  path: string
  contentType: string
  data: string
  enabled: boolean
}

export function scheduleForm(v?: ScheduleView, zone = 'UTC'): ScheduleForm {
  return {
    name: v?.name ?? '',
    cron: v?.cron ?? '',
    timezone: v?.timezone ?? zone,
    path: v?.path ?? '',
    contentType: v?.contentType ?? '',
    data: v?.data ?? '',
    enabled: v?.enabled ?? true,
  }
}

/** fromScheduleForm is the form's schedule; empty optional fields are left out. */
export function fromScheduleForm(f: ScheduleForm): Schedule {
  const s: Schedule = { name: f.name.trim(), cron: f.cron.trim().replace(/\s+/g, ' '), enabled: f.enabled }
  if (f.timezone.trim()) s.timezone = f.timezone.trim()
  if (f.path.trim()) s.path = f.path.trim()
  if (f.contentType.trim()) s.contentType = f.contentType.trim()
  if (f.data) s.data = f.data
  return s
}

/**
 * withSchedule is the whole array PUT sends: views as they were read, schedule i replaced by s
 * (i === views.length adds it; s undefined removes i).
 */
export function withSchedule(views: ScheduleView[], i: number, s?: Schedule): Schedule[] {
  const out = views.map(toSchedule)
  if (s === undefined) out.splice(i, 1)
  else out.splice(i, 1, s)
  return out
}

// --- cron ---------------------------------------------------------------------------------

interface Bounds {
  min: number
  max: number
  names?: string[]
}

const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
]

/** Cron is a parsed five-field expression: the values each field allows. */
export interface Cron {
  minute: boolean[]
  hour: boolean[]
  dom: boolean[]
  month: boolean[]
  dow: boolean[]
  /** domStar and dowStar: the field was * or ? (robfig/cron then needs both days to match, else either). */
  domStar: boolean
  dowStar: boolean
}

function value(s: string, b: Bounds): number {
  if (b.names) {
    const n = b.names.indexOf(s.toLowerCase())
    if (n >= 0) return n + b.min
  }
  if (!/^\d+$/.test(s)) throw new Error(`"${s}" is not a number`)
  return Number(s)
}

function field(expr: string, b: Bounds): { set: boolean[]; star: boolean } {
  const set = new Array<boolean>(b.max + 1).fill(false)
  let star = false
  for (const part of expr.split(',')) {
    const [range, stepText, extra] = part.split('/')
    if (extra !== undefined) throw new Error(`"${part}" has more than one /`)
    const bounds = range.split('-')
    let lo: number
    let hi: number
    let isStar = false
    if (bounds[0] === '*' || bounds[0] === '?') {
      ;[lo, hi, isStar] = [b.min, b.max, true] // robfig/cron reads "*-5" as "*" too
    } else if (bounds.length === 1) {
      lo = hi = value(bounds[0], b)
    } else if (bounds.length === 2) {
      ;[lo, hi] = [value(bounds[0], b), value(bounds[1], b)]
    } else throw new Error(`"${part}" is not a range`)
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new Error(`"${part}": the step must be a positive number`)
      step = Number(stepText)
      if (bounds.length === 1 && !isStar) hi = b.max // "N/step" is "N-max/step"
      if (step > 1) isStar = false
    }
    if (lo < b.min || hi > b.max) throw new Error(`"${part}" is outside ${b.min}-${b.max}`)
    if (lo > hi) throw new Error(`"${part}": the range is backwards`)
    for (let v = lo; v <= hi; v += step) set[v] = true
    star ||= isStar
  }
  return { set, star }
}

/** parseCron reads a five-field cron expression (no seconds, no descriptors); it throws with the reason. */
export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/)
  if (parts.length !== 5 || parts[0] === '') throw new Error(`expected five fields, found ${parts[0] === '' ? 0 : parts.length}`)
  const [mi, h, dom, mo, dow] = parts.map((p, i) => field(p, FIELDS[i]))
  return { minute: mi.set, hour: h.set, dom: dom.set, month: mo.set, dow: dow.set, domStar: dom.star, dowStar: dow.star }
}

function dayMatches(c: Cron, day: number, weekday: number): boolean {
  const d = c.dom[day]
  const w = c.dow[weekday]
  return c.domStar || c.dowStar ? d && w : d || w
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** wallClock is the time on the wall in zone at instant t (ms); it throws for an unknown zone. */
export function wallClock(t: number, zone: string): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const tz = zone || 'UTC'
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' })
    formatters.set(tz, f)
  }
  const p: Record<string, string> = {}
  for (const part of f.formatToParts(t)) p[part.type] = part.value
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour % 24, minute: +p.minute, weekday: WEEKDAYS.indexOf(p.weekday) }
}

const MINUTE = 60_000
const QUARTER = 15 * MINUTE

/**
 * fireTimes are the instants (ms, whole minutes) in (from, to] at which c fires in zone, at
 * most limit of them. It reads the wall clock once a quarter hour: every zone's offset and
 * every change of it falls on a quarter hour. A minute a spring-forward skips never fires; one
 * an autumn repeats may fire twice.
 */
export function fireTimes(c: Cron, zone: string, from: number, to: number, limit = Infinity): number[] {
  const out: number[] = []
  for (let q = Math.floor(from / QUARTER) * QUARTER; q <= to && out.length < limit; q += QUARTER) {
    const w = wallClock(q, zone)
    if (!c.hour[w.hour] || !c.month[w.month] || !dayMatches(c, w.day, w.weekday)) continue
    for (let k = 0; k < 15 && out.length < limit; k++) {
      const t = q + k * MINUTE
      if (t > from && t <= to && c.minute[w.minute + k]) out.push(t)
    }
  }
  return out
}

// --- the timeline of minimum instances ------------------------------------------------------

export interface Segment {
  from: number
  to: number
  /** minScale is the effective minimum over [from, to): the highest open window's, never below the app's own. */
  minScale: number
  /** open are the windows open then. */
  open: string[]
}

export interface Timeline {
  segments: Segment[]
  /** skipped are windows the console could not read (the server still applies them). */
  skipped: string[]
}

/**
 * timeline is the effective minimum from now to now + span. Where each window stands now
 * comes from the server (active, and the end of an open span); later starts and ends are
 * computed here, by the server's rules: an end-cron window opens at each start and closes at
 * each end (both in one minute: closed); a duration window is open for duration after each
 * start (overlapping spans merge).
 */
export function timeline(view: Pick<ScalingView, 'ownMinScale' | 'windows'>, now: number, span: number): Timeline {
  const to = now + span
  const skipped: string[] = []
  // Per window: the instants it opens and closes (a duration window's spans counted).
  type Ev = { t: number; w: number; d: 1 | -1 | 'open' | 'close' }
  const evs: Ev[] = []
  const count: number[] = []
  const open: boolean[] = []
  view.windows.forEach((w, i) => {
    count.push(0)
    open.push(false)
    let start: Cron
    let end: Cron | undefined
    let dur = 0
    try {
      start = parseCron(w.start)
      if (w.end) end = parseCron(w.end)
      else {
        dur = parseDuration(w.duration ?? '')
        if (!(dur > 0)) throw new Error('no duration')
      }
      wallClock(now, w.timezone ?? '')
    } catch {
      skipped.push(w.name)
      return
    }
    const zone = w.timezone ?? ''
    if (end) {
      open[i] = w.active
      for (const t of fireTimes(start, zone, now, to)) evs.push({ t, w: i, d: 'open' })
      for (const t of fireTimes(end, zone, now, to)) evs.push({ t, w: i, d: 'close' })
    } else {
      if (w.active) {
        count[i] = 1
        open[i] = true
        const e = w.nextEnd ? Date.parse(w.nextEnd) : now + dur
        evs.push({ t: e, w: i, d: -1 })
      }
      for (const t of fireTimes(start, zone, now, to)) {
        evs.push({ t, w: i, d: 1 }, { t: t + dur, w: i, d: -1 })
      }
    }
  })
  // In one minute: closes first, then opens, then cron ends (an end-cron window whose start
  // and end share a minute is closed).
  const rank = (e: Ev) => (e.d === -1 ? 0 : e.d === 1 ? 1 : e.d === 'open' ? 2 : 3)
  evs.sort((a, b) => a.t - b.t || rank(a) - rank(b))
  const own = view.ownMinScale
  const state = (): { minScale: number; open: string[] } => {
    let m = own
    const names: string[] = []
    view.windows.forEach((w, i) => {
      if (!open[i]) return
      names.push(w.name)
      if (w.minScale > m) m = w.minScale
    })
    return { minScale: m, open: names }
  }
  const segments: Segment[] = []
  const push = (from: number, until: number) => {
    if (until <= from) return
    const s = state()
    const last = segments[segments.length - 1]
    if (last && last.to === from && last.minScale === s.minScale && last.open.join() === s.open.join()) last.to = until
    else segments.push({ from, to: until, ...s })
  }
  let at = now
  for (const e of evs) {
    if (e.t >= to) break
    if (e.t > at) {
      push(at, e.t)
      at = e.t
    }
    if (e.d === 'open') open[e.w] = true
    else if (e.d === 'close') open[e.w] = false
    else {
      count[e.w] += e.d
      open[e.w] = count[e.w] > 0
    }
  }
  push(at, to)
  return { segments, skipped }
}

/** changes are the moments the effective minimum changes within the segments. */
export function changes(segments: Segment[]): { at: number; minScale: number }[] {
  const out: { at: number; minScale: number }[] = []
  for (let i = 1; i < segments.length; i++) {
    if (segments[i].minScale !== segments[i - 1].minScale) out.push({ at: segments[i].from, minScale: segments[i].minScale })
  }
  return out
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: MINUTE, h: 60 * MINUTE }

/** parseDuration reads a Go duration ("90m", "1h30m") in ms; NaN when it is not one. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy
  if (!s || s === '0') return s === '0' ? 0 : NaN
  let total = 0
  let m: RegExpExecArray | null
  let end = 0
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNITS[m[2]]
    end = re.lastIndex
  }
  return end === s.length && end > 0 ? total : NaN
}

/** ticks are the local hours (day span: every 3 h) or local midnights (week) in [from, to]. */
export function ticks(from: number, to: number, week: boolean): number[] {
  const d = new Date(from)
  d.setMinutes(0, 0, 0)
  if (week) d.setHours(0)
  else d.setHours(Math.ceil(d.getHours() / 3) * 3)
  const out: number[] = []
  for (; d.getTime() <= to; week ? d.setDate(d.getDate() + 1) : d.setHours(d.getHours() + 3)) {
    if (d.getTime() >= from) out.push(d.getTime())
  }
  return out
}

// --- the scaling windows form ------------------------------------------------------------------

export interface WindowRow {
  key: number
  name: string
  start: string
  until: 'end' | 'duration'
  end: string
  duration: string
  timezone: string
  minScale: string
}

let nextKey = 1

export function windowRow(w?: ScalingWindow, zone = 'UTC'): WindowRow {
  return {
    key: nextKey++,
    name: w?.name ?? '',
    start: w?.start ?? '',
    until: w && !w.end && w.duration ? 'duration' : 'end',
    end: w?.end ?? '',
    duration: w?.duration ?? '',
    timezone: w?.timezone ?? zone,
    minScale: w ? String(w.minScale) : '',
  }
}

/** fromWindowRows is the body's windows; minScale as typed (the API says what is wrong with it). */
export function fromWindowRows(rows: WindowRow[]): ScalingWindow[] {
  return rows.map((r) => {
    const w: ScalingWindow = { name: r.name.trim(), start: r.start.trim().replace(/\s+/g, ' '), minScale: r.minScale.trim() === '' ? 0 : Number(r.minScale) }
    if (r.until === 'end') w.end = r.end.trim().replace(/\s+/g, ' ')
    else w.duration = r.duration.trim()
    if (r.timezone.trim()) w.timezone = r.timezone.trim()
    return w
  })
}

/** utc is an instant as RFC 3339 UTC, to the minute's second (for title attributes). */
export function utc(t: number | string): string {
  const d = new Date(t)
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace('.000Z', 'Z') + ' (UTC)'
}
