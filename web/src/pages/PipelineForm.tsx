// The pipeline form: source, build and stages (gates or Argo templates as JSON, checked as
// JSON before anything is sent; the API names its own field errors the same way).
import { useState, type FormEvent } from 'react'
import { ApiError, put } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { fromForm, newStage, STAGE_POINTS, TEMPLATE_EXAMPLE, toForm, type PipelineForm, type StageRow } from '../pipeline'
import { useSubmit } from '../submit'
import type { FieldError, Pipeline } from '../schema'

interface FormProps {
  base: string
  current?: Pipeline
  readOnly: boolean
  onSaved: () => void
}

/** PipelineFormView edits the pipeline; templates are checked as JSON before anything is sent. */
export function PipelineFormView({ base, current, readOnly, onSaved }: FormProps) {
  const [f, setF] = useState<PipelineForm>(() => toForm(current))
  const { busy, error, setError, run } = useSubmit()
  const [saved, setSaved] = useState(false)
  const fe = (path: string, children = false) => fieldMessages(error, path, children)
  const set = (patch: Partial<PipelineForm>) => {
    setF((x) => ({ ...x, ...patch }))
    setSaved(false)
  }
  const setStage = (i: number, patch: Partial<StageRow>) => set({ stages: f.stages.map((s, j) => (j === i ? { ...s, ...patch } : s)) })
  const move = (i: number, d: number) => {
    const s = [...f.stages]
    ;[s[i], s[i + d]] = [s[i + d], s[i]]
    set({ stages: s })
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    setSaved(false)
    const { pipeline, errors } = fromForm(f)
    if (errors.length) {
      setError(localError(errors))
      return
    }
    run(async () => {
      await put<Pipeline>(base + '/pipeline', pipeline)
      setSaved(true)
      onSaved()
    })
  }

  return (
    <form className="form pipeline-form" onSubmit={submit} aria-labelledby="pipeline-title" noValidate>
      <h2 id="pipeline-title">Pipeline</h2>
      <fieldset disabled={readOnly}>
        <legend>Source and build</legend>
        <div className="row">
          <Field label="Repository" errors={fe('repo')} hint="An https Git URL.">
            {(p) => <input {...p} value={f.repo} onChange={(e) => set({ repo: e.target.value })} placeholder="https://git.example/team/app.git" className="mono" />}
          </Field>
          <Field label="Branch" errors={fe('branch')} hint="Built by default; the hook starts runs for pushes to it.">
            {(p) => <input {...p} value={f.branch} onChange={(e) => set({ branch: e.target.value })} className="mono" />}
          </Field>
        </div>
        <div className="row">
          <Field label="Context directory" errors={fe('contextDir')} hint="Relative to the repository root; empty for the root.">
            {(p) => <input {...p} value={f.contextDir} onChange={(e) => set({ contextDir: e.target.value })} className="mono" />}
          </Field>
          <Field label="Dockerfile" errors={fe('dockerfile')} hint="Relative to the context directory.">
            {(p) => <input {...p} value={f.dockerfile} onChange={(e) => set({ dockerfile: e.target.value })} className="mono" />}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={readOnly} className="stages">
        <legend>Stages</legend>
        <p className="hint">
          The standard steps are clone → build → deploy. Stages add approval gates or steps of your own (an Argo container or script template, as JSON) around them.
        </p>
        {fe('stages').length > 0 && (
          <div className="field-error" role="alert">
            {fe('stages').join('; ')}
          </div>
        )}
        {f.stages.length === 0 && <p className="muted">No stages.</p>}
        <ol className="stage-list">
          {f.stages.map((s, i) => (
            <li key={s.key} className="card stage" data-stage={i}>
              <div className="row">
                <Field label={`Stage ${i + 1} name`} errors={fe(`stages[${i}].name`)}>
                  {(p) => <input {...p} value={s.name} onChange={(e) => setStage(i, { name: e.target.value })} className="mono" placeholder="approve" />}
                </Field>
                <Field label={`Stage ${i + 1} runs at`} errors={fe(`stages[${i}].at`)}>
                  {(p) => (
                    <select {...p} value={s.at} onChange={(e) => setStage(i, { at: e.target.value })}>
                      {STAGE_POINTS.map((pt) => (
                        <option key={pt} value={pt}>
                          {pt}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
              <div className="field">
                <label className="check">
                  <input
                    type="checkbox"
                    checked={s.kind === 'approval'}
                    onChange={(e) => setStage(i, { kind: e.target.checked ? 'approval' : 'template', template: s.template || (e.target.checked ? '' : TEMPLATE_EXAMPLE) })}
                  />{' '}
                  Stage {i + 1} is an approval gate
                </label>
                <span className="hint">Someone allowed to deploy here must approve before the run goes on.</span>
              </div>
              {s.kind === 'template' && (
                <Field
                  label={`Stage ${i + 1} Argo template (JSON)`}
                  errors={[...fe(`stages[${i}].template`, true), ...fe(`stages[${i}]`), ...fe(`stages[${i}].approval`)]}
                  hint={s.at === 'replace-build' ? 'A replace-build template must write the built image digest to /tmp/digest.' : 'A container or script template; the repository is at /work/src.'}
                >
                  {(p) => <textarea {...p} value={s.template} rows={8} spellCheck={false} className="mono" onChange={(e) => setStage(i, { template: e.target.value })} />}
                </Field>
              )}
              <div className="row-actions">
                <button type="button" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move stage ${i + 1} up`}>
                  ↑
                </button>
                <button type="button" onClick={() => move(i, 1)} disabled={i === f.stages.length - 1} aria-label={`Move stage ${i + 1} down`}>
                  ↓
                </button>
                <button type="button" className="remove" onClick={() => set({ stages: f.stages.filter((_, j) => j !== i) })} aria-label={`Remove stage ${i + 1}`}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ol>
        {!readOnly && (
          <button type="button" onClick={() => set({ stages: [...f.stages, newStage()] })}>
            Add stage
          </button>
        )}
      </fieldset>
      <ErrorBanner error={error} prefix="The pipeline was not saved" />
      <div aria-live="polite">{saved && <div className="banner ok" role="status">Pipeline saved.</div>}</div>
      {!readOnly && (
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save pipeline'}
          </button>
        </div>
      )}
    </form>
  )
}

function localError(errors: FieldError[]): ApiError {
  return new ApiError('Check the stages', 0, { type: 'about:blank', title: 'Check the stages', detail: 'Nothing was sent.', status: 0, errors })
}
