// A pipeline run: its steps in plan order with phases and durations, the approval gate it
// waits at, cancel and retry, and live logs per step (an event stream read with fetch()).
import { useEffect, useRef, useState } from 'react'
import { appPath, asApiError, post } from '../api'
import { useAccess } from '../access'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorBanner } from '../components/errors'
import { PhaseBadge } from '../components/Phase'
import { Table } from '../components/Table'
import { ago, when } from '../format'
import { elapsed, finished, runCommit, shortSha } from '../pipeline'
import { usePoll } from '../poll'
import { href, Link, navigate } from '../router'
import { streamEvents } from '../sse'
import { useSubmit } from '../submit'
import type { Run } from '../schema'
import { runHref } from './Pipeline'

interface Props {
  project: string
  app: string
  env: string
  run: string
}

const POLL_MS = 2000

export function RunPage({ project, app, env, run }: Props) {
  const base = appPath(project, app, env) + '/runs/' + encodeURIComponent(run)
  const r = usePoll<Run>(base, POLL_MS)
  const access = useAccess(project)
  const rights = access.data?.envs[env]
  // Approving a gate is its own action; older platform-apis tied it to the right to deploy.
  const canApprove = !!(rights?.actions?.approveRuns ?? rights?.change)
  const canStart = !!(rights?.startRuns ?? rights?.change)
  const canCancel = !!(rights?.changeRuns ?? rights?.change)
  const action = useSubmit<'approve' | 'cancel' | 'retry'>()
  const { busy, pending, error } = action
  const [notice, setNotice] = useState<string>()
  const [cancelling, setCancelling] = useState(false)
  const [, setTick] = useState(0)
  const data = r.data
  const done = data ? finished(data.phase) : false

  // Durations of running steps grow each second.
  useEffect(() => {
    if (done) return
    const t = window.setInterval(() => setTick((n) => n + 1), 1000)
    return () => window.clearInterval(t)
  }, [done])

  const act = (what: 'approve' | 'cancel' | 'retry') => {
    setNotice(undefined)
    action.run(async () => {
      const out = await post<Run>(`${base}/${what}`, undefined)
      setCancelling(false)
      if (what === 'retry') {
        navigate(runHref(project, app, env, out.name))
        return
      }
      setNotice(what === 'approve' ? `Approved: ${data?.awaitingApproval ?? 'the gate'} passes and the run goes on.` : 'Cancel requested: the run is being stopped.')
      await r.refresh()
    }, what)
  }

  const pipelineTab = href('projects', project, 'apps', app, 'envs', env, 'pipeline')
  return (
    <section>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Projects</Link> / <Link to={href('projects', project)}>{project}</Link> /{' '}
        <Link to={href('projects', project, 'apps', app, 'envs', env)}>
          {app} ({env})
        </Link>{' '}
        / <Link to={pipelineTab}>Pipeline</Link> / <span aria-current="page">{run}</span>
      </nav>
      <div className="title-row">
        <h1>
          Run <span className="mono">{run}</span>
        </h1>
        {data && <PhaseBadge phase={data.phase} waiting={!!data.awaitingApproval} />}
      </div>
      <ErrorBanner error={r.error} prefix="Could not load the run" />
      <ErrorBanner error={access.error} prefix="Could not load your permissions" />
      <div aria-live="polite" className="live">
        {notice && (
          <div className="banner ok" role="status">
            {notice}
          </div>
        )}
      </div>
      {data?.cancelRequested && !data.finished && (
        <div className="banner warn" role="status">
          Cancel requested: Argo stops the run's steps and ends it.
        </div>
      )}
      {data?.awaitingApproval && (
        <div className="banner warn approval" role="region" aria-label="Approval">
          <strong>Waiting for approval</strong> at <span className="mono">{data.awaitingApproval}</span>: the run goes on to deploy {app} in {env} once
          someone allowed to approve runs here approves.{' '}
          {canApprove ? (
            <button className="primary" onClick={() => act('approve')} disabled={busy}>
              {pending === 'approve' ? 'Approving…' : 'Approve'}
            </button>
          ) : (
            <span className="muted">You may not approve it.</span>
          )}
        </div>
      )}
      {!cancelling && <ErrorBanner error={error} prefix="That did not work" />}
      {data && (
        <>
          <div className="card summary">
            <dl>
              <div>
                <dt>Trigger</dt>
                <dd>
                  {data.trigger}
                  {data.retryOf && (
                    <>
                      {' '}
                      of <Link to={runHref(project, app, env, data.retryOf)}>{data.retryOf}</Link>
                    </>
                  )}
                </dd>
              </div>
              <div>
                <dt>Started by</dt>
                <dd>{data.startedBy || '—'}</dd>
              </div>
              <div>
                <dt>Branch</dt>
                <dd className="mono">{data.branch || '—'}</dd>
              </div>
              <div>
                <dt>Commit</dt>
                <dd className="mono" title={runCommit(data)}>
                  {shortSha(runCommit(data)) || '—'}
                  {!data.commit && data.revision && <span className="muted"> (asked for; not cloned yet)</span>}
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd title={when(data.created)}>{ago(data.created)}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>{elapsed(data) || 'not started'}</dd>
              </div>
            </dl>
            {data.message && <p className="reason">{data.message}</p>}
            <div className="actions">
              {!done && canCancel && (
                <button className="danger" onClick={() => setCancelling(true)} disabled={busy}>
                  Cancel run
                </button>
              )}
              {done && canStart && (
                <button onClick={() => act('retry')} disabled={busy}>
                  {pending === 'retry' ? 'Starting…' : 'Retry'}
                </button>
              )}
            </div>
          </div>
          <Steps run={data} />
          <Logs url={base + '/logs'} run={data} onStep={() => r.refresh()} />
        </>
      )}
      <ConfirmDialog open={cancelling} title={`Cancel ${run}?`} confirmLabel="Cancel run" danger busy={pending === 'cancel'} onConfirm={() => act('cancel')} onCancel={() => setCancelling(false)}>
        <p>The run stops where it is; steps not started are not run. Nothing it deployed already is undone.</p>
        <ErrorBanner error={error} prefix="Cancel failed" />
      </ConfirmDialog>
    </section>
  )
}

function Steps({ run }: { run: Run }) {
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      <Table className="steps" caption={<>Steps of {run.name}, in the order the run takes them</>} columns={['#', 'Step', 'Phase', 'Duration', 'Started', 'Message']}>
        {run.steps.map((s, i) => (
          <tr key={s.name} data-step={s.name}>
            <td className="num">{i + 1}</td>
            <th scope="row">
              <span className="mono">{s.name}</span>
              {s.kind === 'approval' && <span className="chip">approval gate</span>}
            </th>
            <td data-testid="step-phase">
              <PhaseBadge phase={s.phase} waiting={run.awaitingApproval === s.name} />
            </td>
            <td>{elapsed(s) || '—'}</td>
            <td>{s.started ? <span title={when(s.started)}>{ago(s.started)}</span> : '—'}</td>
            <td className="msg">{s.message || ''}</td>
          </tr>
        ))}
      </Table>
    </section>
  )
}

const MAX_LINES = 5000
type LogState = 'connecting' | 'open' | 'ended' | 'unavailable' | 'closed' | 'failed'

/** Logs reads the run's event stream: step phases, log lines and errors, then "end". */
function Logs({ url, run, onStep }: { url: string; run: Run; onStep: () => void }) {
  const lines = useRef<{ step: string; text: string; error?: boolean }[]>([])
  const [, setVersion] = useState(0)
  const [state, setState] = useState<LogState>('connecting')
  const [failure, setFailure] = useState<string>()
  const [step, setStep] = useState('')
  const [attempt, setAttempt] = useState(0)
  const pre = useRef<HTMLPreElement>(null)
  const onStepRef = useRef(onStep)
  onStepRef.current = onStep

  useEffect(() => {
    const ctl = new AbortController()
    let pending = 0
    const bump = () => {
      if (!pending) pending = window.setTimeout(() => ((pending = 0), setVersion((v) => v + 1)), 100)
    }
    lines.current = []
    setState('connecting')
    setFailure(undefined)
    let ended = false
    streamEvents(
      url,
      (e) => {
        let d: { step?: string; line?: string; message?: string; phase?: string } = {}
        try {
          d = JSON.parse(e.data)
        } catch {
          d = { line: e.data }
        }
        setState((s) => (s === 'connecting' ? 'open' : s))
        if (e.event === 'log') lines.current.push({ step: d.step ?? '', text: d.line ?? '' })
        else if (e.event === 'error') lines.current.push({ step: d.step ?? '', text: d.message ?? e.data, error: true })
        else if (e.event === 'step') onStepRef.current()
        else if (e.event === 'end') {
          ended = true
          onStepRef.current()
        }
        if (lines.current.length > MAX_LINES) lines.current.splice(0, lines.current.length - MAX_LINES)
        bump()
      },
      ctl.signal,
      () => setState('open'),
    ).then(
      (out) => setState(out === 'unavailable' ? 'unavailable' : ended ? 'ended' : 'closed'),
      (err: Error) => {
        if (err.name === 'AbortError') return
        setState('failed')
        setFailure(asApiError(err).message)
      },
    )
    return () => {
      ctl.abort()
      window.clearTimeout(pending)
    }
  }, [url, attempt])

  // Keep the newest line in view unless the reader scrolled up.
  useEffect(() => {
    const el = pre.current
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight
  })

  const shown = lines.current.filter((l) => !step || l.step === step)
  const running = !finished(run.phase)
  return (
    <section aria-labelledby="logs-title" className="logs">
      <h2 id="logs-title">Logs</h2>
      <div className="row">
        <div className="field narrow-wide">
          <label htmlFor="log-step">Step</label>
          <select id="log-step" value={step} onChange={(e) => setStep(e.target.value)}>
            <option value="">All steps</option>
            {run.steps.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        {(state === 'closed' || state === 'failed') && running && <button onClick={() => setAttempt((n) => n + 1)}>Reconnect</button>}
      </div>
      <p className="muted" data-testid="log-state" aria-live="polite">
        {state === 'connecting' && (run.phase === 'Pending' ? 'Waiting for the run to start: its logs appear here live.' : 'Connecting to the log stream…')}
        {state === 'open' && (running ? 'Live.' : 'Streaming.')}
        {state === 'ended' && 'The run has finished; these are all its logs.'}
        {state === 'closed' && (running ? 'The log stream closed.' : 'End of the logs.')}
        {state === 'unavailable' && 'Logs not available for this run (yet).'}
        {state === 'failed' && `Logs could not be read: ${failure}`}
      </p>
      <pre ref={pre} className="log" tabIndex={0} aria-label={step ? `Logs of ${step}` : 'Logs of all steps'} data-testid="log">
        {shown.length === 0
          ? state === 'unavailable'
            ? ''
            : run.phase === 'Pending'
              ? 'No output yet: the run has not started.'
              : 'No output yet.'
          : shown.map((l, i) => (
              <span key={i} className={l.error ? 'log-error' : undefined}>
                {!step && <span className="log-step">{l.step} │ </span>}
                {l.text}
                {'\n'}
              </span>
            ))}
      </pre>
    </section>
  )
}
