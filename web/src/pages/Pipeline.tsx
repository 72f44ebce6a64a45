// The Pipeline tab of an app in an environment: its runs (live), "Start run", the pipeline
// form with its stages, and the Git hook.
import { useState, type FormEvent } from 'react'
import { post } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { CopyButton, PhaseBadge } from '../components/Phase'
import { Table } from '../components/Table'
import { ago, when } from '../format'
import { elapsed, runCommit, shortSha } from '../pipeline'
import { usePoll } from '../poll'
import { href, Link, navigate } from '../router'
import { useSubmit } from '../submit'
import type { Hook, Pipeline, Run, RunRequest } from '../schema'
import { PipelineFormView } from './PipelineForm'

interface Props {
  project: string
  app: string
  env: string
  base: string
  /** canChange: set the pipeline, rotate the hook, approve (the right to deploy). */
  canChange: boolean
  /** canStart: start and retry runs (create workflows). */
  canStart: boolean
}

const RUNS_POLL_MS = 3000

export function runHref(project: string, app: string, env: string, run: string): string {
  return href('projects', project, 'apps', app, 'envs', env, 'runs', run)
}

export function PipelineTab({ project, app, env, base, canChange, canStart }: Props) {
  const pl = usePoll<Pipeline>(base + '/pipeline', 10_000)
  const none = pl.error?.status === 404
  const have = !!pl.data && !none
  return (
    <>
      <ErrorBanner error={none ? undefined : pl.error} prefix="Could not load the pipeline" />
      {none && (
        <p className="banner info">
          {app} has no pipeline in {env} yet.{canChange ? ' Set one below: a run clones the repository, builds the image and deploys it here.' : ''}
        </p>
      )}
      {have && <RunsPanel project={project} app={app} env={env} base={base} canStart={canStart} />}
      {(have || none) && (
        <PipelineFormView base={base} current={have ? pl.data : undefined} readOnly={!canChange} onSaved={() => pl.refresh()} />
      )}
      {have && <HookPanel base={base} canChange={canChange} />}
    </>
  )
}

function RunsPanel({ project, app, env, base, canStart }: { project: string; app: string; env: string; base: string; canStart: boolean }) {
  const runs = usePoll<Run[]>(base + '/runs', RUNS_POLL_MS)
  const [from, setFrom] = useState<'default' | 'branch' | 'commit'>('default')
  const [ref, setRef] = useState('')
  const { busy, error, run } = useSubmit()
  const start = (e: FormEvent) => {
    e.preventDefault()
    run(async () => {
      const body: RunRequest = from === 'branch' ? { branch: ref.trim() } : from === 'commit' ? { commit: ref.trim() } : {}
      const r = await post<Run>(base + '/runs', body)
      await runs.refresh()
      navigate(runHref(project, app, env, r.name))
    })
  }
  const list = runs.data ?? []
  return (
    <section aria-labelledby="runs-title" className="runs">
      <h2 id="runs-title">Runs</h2>
      {canStart && (
        <form className="card start-run" onSubmit={start} aria-label="Start a run">
          <div className="row">
            <Field label="Start from" className="narrow-wide">
              {(p) => (
                <select {...p} value={from} onChange={(e) => setFrom(e.target.value as typeof from)}>
                  <option value="default">The pipeline's branch</option>
                  <option value="branch">Another branch</option>
                  <option value="commit">A commit</option>
                </select>
              )}
            </Field>
            {from !== 'default' && (
              <Field label={from === 'branch' ? 'Branch' : 'Commit'} errors={fieldMessages(error, from)}>
                {(p) => <input {...p} value={ref} required onChange={(e) => setRef(e.target.value)} className="mono" placeholder={from === 'commit' ? '40-character SHA' : 'feature/x'} />}
              </Field>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Starting…' : 'Start run'}
            </button>
          </div>
          <ErrorBanner error={error} prefix="Could not start a run" />
        </form>
      )}
      <ErrorBanner error={runs.error} prefix="Could not load the runs" />
      {list.length > 0 && (
        <Table className="runs-table" caption={<>Runs of {app} in {env}, newest first</>} columns={['Run', 'Phase', 'Trigger', 'By', 'Commit', 'Created', 'Duration']}>
          {list.map((r) => (
            <tr key={r.name} data-run={r.name}>
              <th scope="row">
                <Link to={runHref(project, app, env, r.name)}>{r.name}</Link>
              </th>
              <td data-testid="run-phase">
                <PhaseBadge phase={r.phase} waiting={!!r.awaitingApproval} />
              </td>
              <td>
                {r.trigger}
                {r.retryOf && <span className="muted"> of {r.retryOf}</span>}
              </td>
              <td>{r.startedBy || '—'}</td>
              <td className="mono" title={runCommit(r)}>
                {shortSha(runCommit(r)) || '—'}
                {r.branch && r.branch !== runCommit(r) && <span className="muted"> ({r.branch})</span>}
              </td>
              <td title={when(r.created)}>{ago(r.created)}</td>
              <td>{elapsed(r) || '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      {runs.data && list.length === 0 && <p className="muted">No runs yet.{canStart ? ' Start one above, or push to the pipeline’s branch with the hook set up.' : ''}</p>}
    </section>
  )
}

function HookPanel({ base, canChange }: { base: string; canChange: boolean }) {
  const hook = usePoll<Hook>(base + '/pipeline/hook', 30_000)
  const none = hook.error?.status === 404
  const [confirm, setConfirm] = useState(false)
  const { busy, error, run } = useSubmit()
  // The credentials live only in this component's state: shown once, never stored.
  const [fresh, setFresh] = useState<Hook>()
  const rotate = () =>
    run(async () => {
      setFresh(await post<Hook>(base + '/pipeline/hook/rotate', undefined))
      setConfirm(false)
      hook.refresh()
    })
  const h = fresh ?? (none ? undefined : hook.data)
  return (
    <section aria-labelledby="hook-title" className="card hook">
      <h2 id="hook-title">Git hook</h2>
      <ErrorBanner error={none ? undefined : hook.error} prefix="Could not load the hook" />
      {none && !fresh && <p className="muted">No hook yet.{canChange ? ' Make one to start runs on pushes (GitHub, GitLab, or a plain POST with the token).' : ''}</p>}
      {h && (
        <dl className="hook-dl">
          <div>
            <dt>URL</dt>
            <dd className="url" data-testid="hook-url">
              {absolute(h.url)} <CopyButton text={absolute(h.url)} label="Copy the hook URL" />
            </dd>
          </div>
          <div>
            <dt>Branch</dt>
            <dd className="mono">{h.branch}</dd>
          </div>
        </dl>
      )}
      {fresh?.token && (
        <div className="banner warn once" role="alert" data-testid="hook-credentials">
          <strong>Shown once:</strong> copy the token and secret now. Slipway keeps only their hashes; to get new ones, rotate again.
          <dl className="hook-dl">
            <div>
              <dt>Token (header X-Slipway-Token, or GitLab's secret token)</dt>
              <dd className="mono secret" data-testid="hook-token">
                {fresh.token} <CopyButton text={fresh.token} label="Copy the hook token" />
              </dd>
            </div>
            {fresh.secret && (
              <div>
                <dt>Secret (GitHub webhook secret, HMAC-SHA256)</dt>
                <dd className="mono secret" data-testid="hook-secret">
                  {fresh.secret} <CopyButton text={fresh.secret} label="Copy the hook secret" />
                </dd>
              </div>
            )}
          </dl>
          <button type="button" onClick={() => setFresh(undefined)}>
            I have copied them: hide
          </button>
        </div>
      )}
      {canChange && (
        <div className="actions">
          <button type="button" onClick={() => (h ? setConfirm(true) : rotate())} disabled={busy}>
            {h ? 'Rotate hook credentials' : 'Create hook'}
          </button>
        </div>
      )}
      {!confirm && <ErrorBanner error={error} prefix="Could not rotate the hook" />}
      <ConfirmDialog open={confirm} title="Rotate the hook's credentials?" confirmLabel="Rotate" danger busy={busy} onConfirm={rotate} onCancel={() => setConfirm(false)}>
        <p>The URL stays; the current token and secret stop working at once. Update your Git host with the new ones, which are shown once.</p>
        <ErrorBanner error={error} prefix="Could not rotate the hook" />
      </ConfirmDialog>
    </section>
  )
}

/** absolute makes a path the API gives (/hooks/v1/…) a URL to paste into a Git host. */
function absolute(url: string): string {
  return url.startsWith('/') ? location.origin + url : url
}
