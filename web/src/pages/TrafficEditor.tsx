import { useMemo, useState, type FormEvent } from 'react'
import { put } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { TrafficBar } from '../components/TrafficBar'
import { newestFirst } from '../format'
import { useSubmit } from '../submit'
import { canary, fillRest, fromTargets, newRow, splitEvenly, toTargets, validate, type Row } from '../traffic'
import type { AppStatus, Revision, TrafficRequest, TrafficResult } from '../schema'

/** EditorProps are the props of the traffic split's and the header rules' editors (Rules.tsx). */
export interface EditorProps {
  status: AppStatus
  revisions: Revision[]
  base: string
  readOnly: boolean
  onSaved: () => void
}

const LATEST = '\u0000latest'

export function TrafficEditor({ status, revisions, base, readOnly, onSaved }: EditorProps) {
  const [rows, setRows] = useState<Row[]>(() => fromTargets(status.traffic))
  const [message, setMessage] = useState('')
  // Saved, the page moves to the revisions tab: the form stays busy until it goes.
  const { busy, error, run } = useSubmit({ keepBusy: true })
  const [canaryRev, setCanaryRev] = useState('')
  const [canaryPct, setCanaryPct] = useState('20')
  const known = useMemo(() => new Set(revisions.map((r) => r.name)), [revisions])
  const v = validate(rows, known)
  const names = newestFirst(revisions)
  const update = (i: number, patch: Partial<Row>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)))
  const server = (i: number, f: string) => fieldMessages(error, `targets[${i}].${f}`)

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!v.ok) return
    run(async () => {
      // Rules are part of the same request: sending them unchanged keeps them.
      await put<TrafficResult>(base + '/traffic', { targets: toTargets(rows), rules: status.rules ?? [], message: message.trim() || undefined } satisfies TrafficRequest)
      onSaved()
    })
  }

  return (
    <form className="form traffic" onSubmit={submit} aria-label="Traffic split" noValidate>
      <h2>Traffic split</h2>
      <p className="hint">Whole percentages that add up to exactly 100. A 0% target with a tag gets its own URL without any traffic.</p>
      <div className="bar-label">Preview</div>
      <TrafficBar targets={toTargets(rows)} label="Proposed traffic" />
      <fieldset disabled={readOnly}>
        <legend className="sr-only">Targets</legend>
        {rows.map((r, i) => (
          <div className="row target" key={r.key} data-row={i}>
            <Field label={`Revision ${i + 1}`} errors={[...(v.rows[i].revision ? [v.rows[i].revision!] : []), ...server(i, 'revision')]}>
              {(p) => (
                <select
                  {...p}
                  value={r.latest ? LATEST : r.revision}
                  onChange={(e) => (e.target.value === LATEST ? update(i, { latest: true, revision: '' }) : update(i, { latest: false, revision: e.target.value }))}
                >
                  <option value="">Choose…</option>
                  <option value={LATEST}>latest Ready revision</option>
                  {names.map((n) => (
                    <option key={n.name} value={n.name}>
                      {n.name}
                      {n.ready ? '' : ' (not Ready)'}
                    </option>
                  ))}
                  {!r.latest && r.revision && !known.has(r.revision) && <option value={r.revision}>{r.revision} (unknown)</option>}
                </select>
              )}
            </Field>
            <Field label={`Percent ${i + 1}`} errors={[...(v.rows[i].percent ? [v.rows[i].percent!] : []), ...server(i, 'percent')]} className="narrow">
              {(p) => <input {...p} type="number" min={0} max={100} step={1} inputMode="numeric" value={r.percent} onChange={(e) => update(i, { percent: e.target.value })} />}
            </Field>
            <Field label={`Tag ${i + 1}`} errors={[...(v.rows[i].tag ? [v.rows[i].tag!] : []), ...server(i, 'tag')]}>
              {(p) => <input {...p} value={r.tag} onChange={(e) => update(i, { tag: e.target.value.trim() })} placeholder="optional" spellCheck={false} />}
            </Field>
            {!readOnly && (
              <div className="row-actions">
                <button type="button" onClick={() => setRows(fillRest(rows, i))} aria-label={`Give target ${i + 1} the rest of 100%`}>
                  Rest here
                </button>
                <button type="button" className="remove" onClick={() => setRows(rows.filter((_, j) => j !== i))} aria-label={`Remove target ${i + 1}`}>
                  Remove
                </button>
              </div>
            )}
          </div>
        ))}
        <p className={'total ' + (v.total ? 'bad' : 'good')} aria-live="polite" data-testid="total">
          {v.total ?? `Total is 100%.`}
        </p>
        {v.form && <div className="field-error">{v.form}</div>}
        {fieldMessages(error, 'targets').length > 0 && <div className="field-error">{fieldMessages(error, 'targets').join('; ')}</div>}
        {!readOnly && (
          <div className="actions">
            <button type="button" onClick={() => setRows([...rows, newRow()])}>
              Add target
            </button>
            <button type="button" onClick={() => setRows(splitEvenly(rows))} disabled={rows.length === 0}>
              Split evenly
            </button>
            <button type="button" onClick={() => setRows(fromTargets(status.traffic))}>
              Reset to current
            </button>
          </div>
        )}
      </fieldset>

      {!readOnly && (
        <fieldset className="canary-helper">
          <legend>Canary helper</legend>
          <div className="row">
            <Field label="Canary revision">
              {(p) => (
                <select {...p} value={canaryRev} onChange={(e) => setCanaryRev(e.target.value)}>
                  <option value="">Choose…</option>
                  {names.map((n) => (
                    <option key={n.name}>{n.name}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Canary share (%)" className="narrow">
              {(p) => <input {...p} type="number" min={1} max={99} value={canaryPct} onChange={(e) => setCanaryPct(e.target.value)} />}
            </Field>
            <button type="button" disabled={!canaryRev || !(Number(canaryPct) >= 0 && Number(canaryPct) <= 100)} onClick={() => setRows(canary(rows, canaryRev, Number(canaryPct)))}>
              Apply
            </button>
          </div>
          <p className="hint">Scales the other shares down to make room, the way a canary deploy does.</p>
        </fieldset>
      )}

      {!readOnly && (
        <>
          <Field label="Message" errors={fieldMessages(error, 'message')} hint="Recorded in the history.">
            {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
          </Field>
          <ErrorBanner error={error} prefix="Traffic change refused" />
          <button type="submit" className="primary" disabled={busy || !v.ok}>
            {busy ? 'Saving…' : 'Save split'}
          </button>
        </>
      )}
    </form>
  )
}
