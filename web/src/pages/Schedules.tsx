// The Schedules & scaling tab of an app in an environment: its schedules (Knative PingSources:
// state, next five runs; add, edit, pause, resume, remove — each change sends the whole list
// with If-Match, so nobody's change is lost) and its scaling by the clock (the effective
// minimum now, the windows, the next change, a day/week timeline, and the windows' form).
import { useState, type FormEvent } from 'react'
import { ApiError, put, versionOf } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { Table } from '../components/Table'
import { until, when } from '../format'
import { usePoll } from '../poll'
import {
  changes,
  fromScheduleForm,
  fromWindowRows,
  scheduleForm,
  stateClass,
  ticks,
  timeline,
  toSchedule,
  utc,
  windowRow,
  withSchedule,
  type ScheduleForm,
  type Segment,
  type WindowRow,
} from '../schedule'
import { useSubmit } from '../submit'
import type { Environment, FieldError, Schedule, ScalingSchedulesRequest, ScalingView, ScheduleView } from '../schema'

interface Props {
  base: string
  app: string
  env: string
  policy?: Environment
  /** canSchedules: the manageSchedules action; canScaling: manageScaling. */
  canSchedules: boolean
  canScaling: boolean
}

// A PingSource turns Ready a few seconds after the app is: a 5 s poll shows it.
const SCHEDULES_MS = 5000
const SCALING_MS = 10_000

/** The user's own zone: new schedules and windows start in it. */
function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

function zones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  } catch {
    return []
  }
}

export function SchedulesTab({ base, app, env, policy, canSchedules, canScaling }: Props) {
  return (
    <>
      <datalist id="iana-zones">
        {['UTC', ...zones()].map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <SchedulesPanel base={base} app={app} env={env} policy={policy} canEdit={canSchedules} />
      <ScalingPanel base={base} app={app} env={env} canEdit={canScaling} />
    </>
  )
}

/** Time is an instant in the user's local time, its UTC value in the title. */
function Time({ iso, relative }: { iso: string; relative?: boolean }) {
  return (
    <time dateTime={iso} title={utc(iso)}>
      {when(iso)}
      {relative && <span className="muted"> ({until(iso)})</span>}
    </time>
  )
}

// --- schedules ---------------------------------------------------------------------------------

type Editing = { index: number; form: ScheduleForm; base: ScheduleView[] }

function SchedulesPanel({ base, app, env, policy, canEdit }: { base: string; app: string; env: string; policy?: Environment; canEdit: boolean }) {
  // The list's ETag is its version (for If-Match), not its body: states and next runs change
  // under the same tag, so it is polled without If-None-Match.
  const list = usePoll<ScheduleView[]>(base + '/schedules', SCHEDULES_MS, { revalidate: false })
  const views = list.data ?? []
  const [editing, setEditing] = useState<Editing>()
  const [removing, setRemoving] = useState<number>()
  const [notice, setNotice] = useState<string>()
  const { busy, error, setError, run } = useSubmit()
  const denied = policy?.schedules === 'denied'

  // Every change is the whole list as it was read, changed in one place, sent with the
  // version it was read at: someone else's change in between is a 412, never overwritten.
  const send = (read: ScheduleView[], body: Schedule[], done: string) =>
    run(async () => {
      const v = versionOf(read)
      await put<ScheduleView[]>(base + '/schedules', body, v ? { 'If-Match': v } : undefined)
      setEditing(undefined)
      setRemoving(undefined)
      setNotice(done)
      await list.refresh()
    })
  const start = (index: number) => {
    setNotice(undefined)
    setError(undefined)
    setEditing({ index, form: scheduleForm(views[index], localZone()), base: views })
  }
  const toggle = (i: number) => {
    setNotice(undefined)
    const s = views[i]
    send(views, withSchedule(views, i, { ...toSchedule(s), enabled: !s.enabled }), s.enabled ? `Paused ${s.name}: its PingSource goes, its spec stays.` : `Resumed ${s.name}.`)
  }
  const stale = error?.status === 412

  return (
    <section aria-labelledby="schedules-title" className="schedules">
      <h2 id="schedules-title">Schedules</h2>
      <p className="hint">
        Each enabled schedule sends {app} an event on its timetable (a Knative PingSource whose sink is the app). Times are shown in your local time; hover for UTC.
      </p>
      {denied && (
        <p className="banner info" data-testid="schedules-denied">
          {env}'s policy denies schedules (rule <code>schedulesDenied</code>): saving one here is refused.
        </p>
      )}
      <ErrorBanner error={list.error} prefix="Could not load the schedules" />
      <div aria-live="polite">
        {notice && (
          <div className="banner ok" role="status">
            {notice}
          </div>
        )}
      </div>
      {stale && !editing && removing === undefined && <StaleBanner onReload={() => { setError(undefined); list.refresh() }} />}
      {!editing && !stale && removing === undefined && <ErrorBanner error={error} prefix="The schedules were not saved" />}
      {list.data && views.length === 0 && <p className="muted">No schedules.</p>}
      {views.length > 0 && (
        <Table className="schedules-table" caption={<>Schedules of {app} in {env}</>} columns={['Name', 'Cron', 'Timezone', 'Path', 'Enabled', 'State', 'Next runs', ...(canEdit ? [''] : [])]}>
          {views.map((s, i) => (
            <tr key={s.name} data-schedule={s.name}>
              <th scope="row" className="mono">
                {s.name}
              </th>
              <td className="mono">{s.cron}</td>
              <td>{s.timezone}</td>
              <td className="mono">{s.path || '/'}</td>
              <td>{s.enabled ? 'yes' : 'no'}</td>
              <td data-testid="schedule-state">
                <span className={'badge ' + stateClass(s.state)} title={s.message}>
                  {s.state}
                </span>
                {s.message && <div className="muted reason">{s.message}</div>}
              </td>
              <td>
                {s.nextRuns.length ? (
                  <ol className="next-runs" data-testid="next-runs">
                    {s.nextRuns.map((r) => (
                      <li key={r}>
                        <Time iso={r} />
                      </li>
                    ))}
                  </ol>
                ) : (
                  <span className="muted">{s.enabled ? '—' : 'paused'}</span>
                )}
              </td>
              {canEdit && (
                <td className="row-actions">
                  <button type="button" onClick={() => start(i)} disabled={busy} aria-label={`Edit schedule ${s.name}`}>
                    Edit
                  </button>
                  <button type="button" onClick={() => toggle(i)} disabled={busy} aria-label={`${s.enabled ? 'Pause' : 'Resume'} schedule ${s.name}`}>
                    {s.enabled ? 'Pause' : 'Resume'}
                  </button>
                  <button type="button" className="remove" onClick={() => setRemoving(i)} disabled={busy} aria-label={`Remove schedule ${s.name}`}>
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
        </Table>
      )}
      {canEdit && !editing && (
        <button type="button" onClick={() => start(views.length)} disabled={!list.data}>
          Add schedule
        </button>
      )}
      {editing && (
        <ScheduleEditor
          editing={editing}
          busy={busy}
          error={error}
          onChange={(form) => setEditing({ ...editing, form })}
          onCancel={() => {
            setEditing(undefined)
            setError(undefined)
          }}
          onReload={() => {
            setEditing(undefined)
            setError(undefined)
            list.refresh()
          }}
          onSave={(s) => send(editing.base, withSchedule(editing.base, editing.index, s), editing.index < editing.base.length ? `Saved ${s.name}.` : `Added ${s.name}.`)}
        />
      )}
      <ConfirmDialog
        open={removing !== undefined}
        title={removing !== undefined ? `Remove schedule ${views[removing]?.name}?` : 'Remove schedule'}
        confirmLabel="Remove"
        danger
        busy={busy}
        onCancel={() => {
          setRemoving(undefined)
          setError(undefined)
        }}
        onConfirm={() => removing !== undefined && send(views, withSchedule(views, removing), `Removed ${views[removing].name}.`)}
      >
        <p>Its PingSource is deleted and its spec is gone; to stop it for a while, pause it instead.</p>
        {removing !== undefined && (stale ? <StaleBanner onReload={() => { setRemoving(undefined); setError(undefined); list.refresh() }} /> : <ErrorBanner error={error} prefix="Not removed" />)}
      </ConfirmDialog>
    </section>
  )
}

function StaleBanner({ onReload }: { onReload: () => void }) {
  return (
    <div className="banner error" role="alert" data-testid="stale">
      <strong>Changed by someone else, reload.</strong> The schedules changed since you read them: nothing was saved.{' '}
      <button type="button" onClick={onReload}>
        Reload
      </button>
    </div>
  )
}

interface EditorProps {
  editing: Editing
  busy: boolean
  error?: ApiError
  onChange: (f: ScheduleForm) => void
  onSave: (s: Schedule) => void
  onCancel: () => void
  onReload: () => void
}

function ScheduleEditor({ editing, busy, error, onChange, onSave, onCancel, onReload }: EditorProps) {
  const { index, form: f } = editing
  const adding = index >= editing.base.length
  // The body is the whole array: this schedule's errors are [index].field.
  const fe = (name: string) => fieldMessages(error, `[${index}].${name}`)
  const set = (patch: Partial<ScheduleForm>) => onChange({ ...f, ...patch })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onSave(fromScheduleForm(f))
  }
  return (
    <form className="card form schedule-form" onSubmit={submit} aria-labelledby="schedule-form-title" noValidate>
      <h3 id="schedule-form-title">{adding ? 'Add a schedule' : `Edit ${editing.base[index].name}`}</h3>
      <div className="row">
        <Field label="Schedule name" errors={fe('name')} hint="Lower case letters, digits and dashes.">
          {(p) => <input {...p} value={f.name} onChange={(e) => set({ name: e.target.value })} className="mono" placeholder="nightly-cleanup" />}
        </Field>
        <Field label="Cron" errors={fe('cron')} hint="Five fields: minute hour day month weekday.">
          {(p) => <input {...p} value={f.cron} onChange={(e) => set({ cron: e.target.value })} className="mono" placeholder="0 2 * * *" />}
        </Field>
        <Field label="Timezone" errors={fe('timezone')} hint="An IANA zone; the cron is read in it.">
          {(p) => <input {...p} value={f.timezone} list="iana-zones" onChange={(e) => set({ timezone: e.target.value })} placeholder="Europe/Berlin" />}
        </Field>
      </div>
      <div className="row">
        <Field label="Path" errors={fe('path')} hint="Where on the app the event is POSTed; empty for /.">
          {(p) => <input {...p} value={f.path} onChange={(e) => set({ path: e.target.value })} className="mono" placeholder="/cleanup" />}
        </Field>
        <Field label="Content type" errors={fe('contentType')}>
          {(p) => <input {...p} value={f.contentType} onChange={(e) => set({ contentType: e.target.value })} className="mono" placeholder="application/json" />}
        </Field>
      </div>
      <Field label="Data" errors={fe('data')} hint="The event's body, at most 4096 bytes.">
        {(p) => <textarea {...p} value={f.data} rows={3} spellCheck={false} className="mono" onChange={(e) => set({ data: e.target.value })} />}
      </Field>
      <div className="field">
        <label className="check">
          <input type="checkbox" checked={f.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
        </label>
        <span className="hint">A paused schedule keeps its spec; its PingSource goes.</span>
      </div>
      {error?.status === 412 ? <StaleBanner onReload={onReload} /> : <ErrorBanner error={error} prefix="The schedules were not saved" />}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : adding ? 'Add schedule' : 'Save schedule'}
        </button>
      </div>
    </form>
  )
}

// --- scaling by the clock -------------------------------------------------------------------------

const HOUR = 3_600_000
const SPANS = { day: 24 * HOUR, week: 7 * 24 * HOUR } as const

function ScalingPanel({ base, app, env, canEdit }: { base: string; app: string; env: string; canEdit: boolean }) {
  const sc = usePoll<ScalingView>(base + '/scaling', SCALING_MS)
  const [editing, setEditing] = useState(false)
  const [saved, setSaved] = useState(false)
  const v = sc.data
  return (
    <section aria-labelledby="scaling-title" className="scaling">
      <h2 id="scaling-title">Scaling by the clock</h2>
      <p className="hint">Each window raises the minimum pods of every routed revision of {app} while it is open, without a new revision.</p>
      <ErrorBanner error={sc.error} prefix="Could not load the scaling windows" />
      {v && (
        <div className="card summary">
          <dl>
            <div>
              <dt>Minimum now</dt>
              <dd data-testid="effective-min">
                {v.effectiveMinScale} {v.effectiveMinScale === 1 ? 'pod' : 'pods'}
                {v.effectiveMinScale !== v.ownMinScale && <span className="muted"> (the revision's own: {v.ownMinScale})</span>}
              </dd>
            </div>
            <div>
              <dt>Next change</dt>
              <dd data-testid="next-change">
                {v.next ? (
                  <>
                    to {v.next.minScale} at <Time iso={v.next.at} relative />
                  </>
                ) : (
                  'none'
                )}
              </dd>
            </div>
          </dl>
        </div>
      )}
      {v && v.windows.length === 0 && !editing && <p className="muted">No windows.</p>}
      {v && v.windows.length > 0 && (
        <>
          <Table className="windows-table" caption={<>Scaling windows of {app} in {env}</>} columns={['Name', 'Start', 'End or duration', 'Timezone', 'Min scale', 'Open now', 'Next start', 'Next end']}>
            {v.windows.map((w) => (
              <tr key={w.name} data-window={w.name}>
                <th scope="row" className="mono">
                  {w.name}
                </th>
                <td className="mono">{w.start}</td>
                <td className="mono">{w.end ? w.end : `for ${w.duration}`}</td>
                <td>{w.timezone || 'UTC'}</td>
                <td>{w.minScale}</td>
                <td data-testid="window-active">{w.active ? <span className="badge ok">open</span> : <span className="badge skipped">closed</span>}</td>
                <td>{w.nextStart ? <Time iso={w.nextStart} /> : '—'}</td>
                <td>{w.nextEnd ? <Time iso={w.nextEnd} /> : '—'}</td>
              </tr>
            ))}
          </Table>
          <MinimumTimeline view={v} />
        </>
      )}
      <div aria-live="polite">{saved && !editing && <div className="banner ok" role="status">Scaling windows saved.</div>}</div>
      {canEdit && v && !editing && (
        <button type="button" onClick={() => { setEditing(true); setSaved(false) }}>
          Edit windows
        </button>
      )}
      {editing && v && (
        <WindowsEditor
          base={base}
          current={v}
          onCancel={() => setEditing(false)}
          onSaved={() => {
            setEditing(false)
            setSaved(true)
            sc.refresh()
          }}
        />
      )}
    </section>
  )
}

/** MinimumTimeline is the effective minimum over the next day or week, as bars, and in words. */
export function MinimumTimeline({ view, now = Date.now() }: { view: ScalingView; now?: number }) {
  const [span, setSpan] = useState<keyof typeof SPANS>('day')
  const ms = SPANS[span]
  const t = timeline(view, now, ms)
  const max = Math.max(1, ...t.segments.map((s) => s.minScale))
  const W = 1000
  const H = 80
  const x = (at: number) => ((at - now) / ms) * W
  const list = changes(t.segments)
  const tks = ticks(now, now + ms, span === 'week')
  const label = (s: Segment) => `${s.minScale} from ${when(new Date(s.from).toISOString())}${s.open.length ? ` (${s.open.join(', ')})` : ''}`
  return (
    <figure className="timeline-min" aria-labelledby="timeline-title">
      <div className="timeline-head">
        <h3 id="timeline-title">Minimum pods, the next {span}</h3>
        <div role="group" aria-label="Timeline span" className="seg-buttons">
          {(Object.keys(SPANS) as (keyof typeof SPANS)[]).map((k) => (
            <button key={k} type="button" aria-pressed={span === k} onClick={() => setSpan(k)}>
              {k === 'day' ? 'Day' : 'Week'}
            </button>
          ))}
        </div>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" className="timeline-svg" aria-hidden="true" data-testid="timeline">
        {t.segments.map((s) => {
          const h = (s.minScale / max) * H
          return (
            <rect key={s.from} x={x(s.from)} y={H - h} width={Math.max(x(s.to) - x(s.from), 0.5)} height={h} className={s.open.length ? 'raised' : 'own'} data-min={s.minScale}>
              <title>{label(s)}</title>
            </rect>
          )
        })}
        {tks.map((tk) => (
          <line key={tk} x1={x(tk)} x2={x(tk)} y1={0} y2={H} className="tick" />
        ))}
      </svg>
      {/* Labels outside the SVG: its preserveAspectRatio="none" would stretch text. */}
      <div className="tick-labels" aria-hidden="true">
        {tks.map((tk) => (
          <span key={tk} style={{ left: `${(x(tk) / W) * 100}%` }}>
            {span === 'week' ? new Date(tk).toLocaleDateString(undefined, { weekday: 'short' }) : new Date(tk).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}
          </span>
        ))}
      </div>
      <figcaption>
        <span className="muted">
          Now {t.segments[0]?.minScale ?? view.effectiveMinScale}
          {list.length === 0 ? `, unchanged for the next ${span}.` : '; then:'}
        </span>
        {list.length > 0 && (
          <ol className="changes" data-testid="timeline-changes">
            {list.slice(0, 24).map((c) => (
              <li key={c.at}>
                <Time iso={new Date(c.at).toISOString()} /> → {c.minScale}
              </li>
            ))}
            {list.length > 24 && <li className="muted">and {list.length - 24} more</li>}
          </ol>
        )}
        {t.skipped.length > 0 && <div className="muted">Not drawn (the console cannot read their cron): {t.skipped.join(', ')}; the server applies them.</div>}
      </figcaption>
    </figure>
  )
}

function WindowsEditor({ base, current, onCancel, onSaved }: { base: string; current: ScalingView; onCancel: () => void; onSaved: () => void }) {
  const [rows, setRows] = useState<WindowRow[]>(() => current.windows.map((w) => windowRow(w)))
  const { busy, error, setError, run } = useSubmit()
  const fe = (i: number, name: string) => fieldMessages(error, `windows[${i}].${name}`)
  const upd = (key: number, patch: Partial<WindowRow>) => setRows(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const bad: FieldError[] = rows.flatMap((r, i) => (/^\d+$/.test(r.minScale.trim()) ? [] : [{ field: `windows[${i}].minScale`, message: 'a whole number of pods' }]))
    if (bad.length) {
      setError(new ApiError('Check the windows', 0, { type: 'about:blank', title: 'Check the windows', detail: 'Nothing was sent.', status: 0, errors: bad }))
      return
    }
    run(async () => {
      const body = { windows: fromWindowRows(rows) } satisfies ScalingSchedulesRequest
      await put<ScalingView>(base + '/scaling/schedules', body)
      onSaved()
    })
  }
  return (
    <form className="card form windows-form" onSubmit={submit} aria-labelledby="windows-form-title" noValidate>
      <h3 id="windows-form-title">Scaling windows</h3>
      {fieldMessages(error, 'windows').length > 0 && (
        <div className="field-error" role="alert">
          {fieldMessages(error, 'windows').join('; ')}
        </div>
      )}
      {rows.length === 0 && <p className="muted">No windows: saving removes them all.</p>}
      {rows.map((r, i) => (
        <fieldset key={r.key} className="card window" data-window-row={i}>
          <legend>Window {i + 1}</legend>
          <div className="row">
            <Field label={`Window ${i + 1} name`} errors={fe(i, 'name')}>
              {(p) => <input {...p} value={r.name} onChange={(e) => upd(r.key, { name: e.target.value })} className="mono" placeholder="office-hours" />}
            </Field>
            <Field label={`Window ${i + 1} start`} errors={fe(i, 'start')} hint="Cron, five fields.">
              {(p) => <input {...p} value={r.start} onChange={(e) => upd(r.key, { start: e.target.value })} className="mono" placeholder="0 9 * * 1-5" />}
            </Field>
            <Field label={`Window ${i + 1} ends`}>
              {(p) => (
                <select {...p} value={r.until} onChange={(e) => upd(r.key, { until: e.target.value as WindowRow['until'] })}>
                  <option value="end">at a cron time</option>
                  <option value="duration">after a duration</option>
                </select>
              )}
            </Field>
            {r.until === 'end' ? (
              <Field label={`Window ${i + 1} end`} errors={fe(i, 'end')} hint="Cron, five fields.">
                {(p) => <input {...p} value={r.end} onChange={(e) => upd(r.key, { end: e.target.value })} className="mono" placeholder="0 18 * * 1-5" />}
              </Field>
            ) : (
              <Field label={`Window ${i + 1} duration`} errors={fe(i, 'duration')} hint="A Go duration: 90m, 2h.">
                {(p) => <input {...p} value={r.duration} onChange={(e) => upd(r.key, { duration: e.target.value })} className="mono" placeholder="2h" />}
              </Field>
            )}
          </div>
          {r.until === 'end' && fe(i, 'duration').length > 0 && <div className="field-error">{fe(i, 'duration').join('; ')}</div>}
          <div className="row">
            <Field label={`Window ${i + 1} timezone`} errors={fe(i, 'timezone')}>
              {(p) => <input {...p} value={r.timezone} list="iana-zones" onChange={(e) => upd(r.key, { timezone: e.target.value })} placeholder="Europe/Berlin" />}
            </Field>
            <Field label={`Window ${i + 1} min scale`} errors={fe(i, 'minScale')} className="narrow">
              {(p) => <input {...p} value={r.minScale} inputMode="numeric" onChange={(e) => upd(r.key, { minScale: e.target.value })} />}
            </Field>
            <div className="row-actions">
              <button type="button" className="remove" onClick={() => setRows(rows.filter((x) => x.key !== r.key))} aria-label={`Remove window ${i + 1}`}>
                Remove
              </button>
            </div>
          </div>
        </fieldset>
      ))}
      <button type="button" onClick={() => setRows([...rows, windowRow(undefined, localZone())])}>
        Add window
      </button>
      <ErrorBanner error={error} prefix="The windows were not saved" />
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save windows'}
        </button>
      </div>
    </form>
  )
}
