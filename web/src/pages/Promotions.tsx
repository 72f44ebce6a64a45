// An app's promotions: its environments side by side along the promotion path, each with
// what it runs; between each two, how they differ and the form that promotes from one to the
// next; the promotions waiting for a decision (approve, reject) and the recent ones.
import { useState, type FormEvent } from 'react'
import { appAcrossPath, appPath, post } from '../api'
import { useAccess } from '../access'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { DiffView, PromotionOutcome, StateBadge } from '../components/Promotion'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { ReadyBadge } from '../components/Status'
import { Table } from '../components/Table'
import { ago, shortImage, when } from '../format'
import { usePoll } from '../poll'
import { approvalCount, outcome, policyNotes, promotionPath, refusal, releasesIn, split, steps, type Step } from '../promotion'
import { href, Link } from '../router'
import { useSession } from '../session'
import { useSubmit } from '../submit'
import type { AppStatus, DecisionRequest, Diff, Environment, Promotion, PromotionPath, PromotionRequest, ProjectAccess, ReleaseView } from '../schema'

// A pending promotion turns deployed a few seconds after its last approval: a 3 s poll shows it.
const PROMOTIONS_MS = 3000
const STATUS_MS = 5000
const DIFF_MS = 10000
const PATH_MS = 300000
// Recent promotions shown, newest first.
const RECENT = 20

interface Props {
  project: string
  app: string
}

export function PromotionsPage({ project, app }: Props) {
  const { environments } = useSession()
  // The path changes only with the operator's config: read it rarely.
  const configured = usePoll<PromotionPath>('/api/v1/promotion-path', PATH_MS)
  const path = promotionPath(environments, configured.data?.path)
  const base = appAcrossPath(project, app)
  const access = useAccess(project)
  const releases = usePoll<ReleaseView[]>(base + '/releases', STATUS_MS)
  const promotions = usePoll<Promotion[]>(base + '/promotions', PROMOTIONS_MS)
  const [notice, setNotice] = useState<string>()
  const done = (msg: string) => {
    setNotice(msg)
    promotions.refresh()
    releases.refresh()
  }
  const { pending } = split(promotions.data ?? [])
  const recent = (promotions.data ?? []).slice(0, RECENT)
  const appHome = href('projects', project, 'apps', app, 'envs', path[0]?.name ?? '')
  const pathSteps = steps(path)

  return (
    <section className="promotions-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Projects</Link> / <Link to={href('projects', project)}>{project}</Link> / <Link to={appHome}>{app}</Link> /{' '}
        <span aria-current="page">Promotions</span>
      </nav>
      <h1>
        {app} <span className="muted">promotions</span>
      </h1>
      <div aria-live="polite" className="live">
        {notice && (
          <div className="banner ok" role="status">
            {notice}{' '}
            <button className="link" onClick={() => setNotice(undefined)} aria-label="Dismiss message">
              ✕
            </button>
          </div>
        )}
      </div>
      <ErrorBanner error={access.error} prefix="Could not load your permissions" />
      <ErrorBanner error={releases.error} prefix="Could not load the releases" />

      <h2 className="sr-only">Promotion path</h2>
      <div className="promotion-path" data-testid="promotion-path">
        {path.map((env, i) => (
          <PathItem key={env.name} env={env} step={pathSteps[i]} project={project} app={app} releases={releases.data ?? []} access={access.data} onPromoted={(p) => done(outcome(p))} />
        ))}
      </div>

      <PendingPromotions project={project} app={app} pending={pending} access={access.data} onDecided={done} />

      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent promotions</h2>
        <ErrorBanner error={promotions.error} prefix="Could not load the promotions" />
        {promotions.data && recent.length === 0 && <p className="muted">No promotions yet.</p>}
        {recent.length > 0 && (
          <Table className="promotions" caption={<>Promotions of {app}, newest first</>} columns={['Promotion', 'Step', 'Release', 'State', 'Approvals', 'Requested', 'Outcome']}>
            {recent.map((p) => (
              <tr key={p.id} data-promotion={p.id}>
                <th scope="row" className="mono">
                  {p.id}
                </th>
                <td>
                  {p.from} → {p.to}
                </td>
                <td>
                  {p.revision}
                  <div className="source muted mono">{p.release}</div>
                </td>
                <td data-testid="promotion-state">
                  <StateBadge state={p.state} />
                </td>
                <td>{approvalCount(p)}</td>
                <td>
                  {p.requestedBy}{' '}
                  <time className="muted" dateTime={p.createdAt} title={when(p.createdAt)}>
                    {ago(p.createdAt)}
                  </time>
                  {p.message && <div className="msg">“{p.message}”</div>}
                </td>
                <td className="msg">
                  <PromotionOutcome p={p} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </section>
  )
}

interface PathItemProps {
  env: Environment
  /** step is the promotion from env to the next environment, if there is one. */
  step?: Step
  project: string
  app: string
  releases: ReleaseView[]
  access?: ProjectAccess
  onPromoted: (p: Promotion) => void
}

function PathItem({ env, step, project, app, releases, access, onPromoted }: PathItemProps) {
  return (
    <>
      <EnvCard env={env} project={project} app={app} releases={releases} />
      {step && <StepPanel step={step} project={project} app={app} access={access} onPromoted={onPromoted} />}
    </>
  )
}

function EnvCard({ env, project, app, releases }: { env: Environment; project: string; app: string; releases: ReleaseView[] }) {
  const status = usePoll<AppStatus>(appPath(project, app, env.name), STATUS_MS)
  const notDeployed = status.error?.status === 404
  const st = notDeployed ? undefined : status.data
  const served = st?.servedTraffic.filter((t) => t.percent > 0) ?? []
  const rels = releasesIn(releases, env.name)
  const notes = policyNotes(env)
  return (
    <section className="card path-env" aria-labelledby={`env-${env.name}`} data-env={env.name}>
      <h3 id={`env-${env.name}`}>
        <Link to={href('projects', project, 'apps', app, 'envs', env.name)} aria-label={`${app} in ${env.name}`}>
          {env.name}
        </Link>{' '}
        {st && <ReadyBadge ready={st.ready} reason={st.reason} />}
      </h3>
      {env.description && <p className="muted">{env.description}</p>}
      {notes.length > 0 && (
        <ul className="policy" aria-label={`Policy of ${env.name}`}>
          {notes.map((n) => (
            <li key={n} className="chip">
              {n}
            </li>
          ))}
        </ul>
      )}
      {!notDeployed && <ErrorBanner error={status.error} prefix={`Could not load ${app} in ${env.name}`} />}
      {notDeployed && <p className="muted" data-testid="env-serving">Not deployed in {env.name} yet.</p>}
      {st && (
        <dl>
          <dt>Serving</dt>
          <dd data-testid="env-serving">{served.length ? served.map((t) => `${t.revision} ${t.percent}%`).join(', ') : '—'}</dd>
          <dt>Image</dt>
          <dd className="mono" title={st.image}>
            {shortImage(st.image)}
          </dd>
          <dt>Release</dt>
          <dd className="mono" data-testid="env-release">
            {rels.length === 0
              ? '—'
              : rels.map((r) => (
                  <div key={r.name + r.revision} title={r.unpinned ? 'unpinned: the image is a tag no digest was found for' : undefined}>
                    {r.name}
                    {rels.length > 1 && <span className="muted"> ({r.revision} {r.percent}%)</span>}
                    {r.unpinned && <span className="chip">unpinned</span>}
                  </div>
                ))}
          </dd>
        </dl>
      )}
    </section>
  )
}

interface StepProps {
  step: Step
  project: string
  app: string
  access?: ProjectAccess
  onPromoted: (p: Promotion) => void
}

function StepPanel({ step, project, app, access, onPromoted }: StepProps) {
  const { from, to } = step
  const base = appAcrossPath(project, app)
  const diff = usePoll<Diff>(`${base}/diff?from=${encodeURIComponent(from.name)}&to=${encodeURIComponent(to.name)}`, DIFF_MS)
  const actions = access?.envs[to.name]?.actions ?? {}
  const mayPromote = !!actions.requestPromotions
  const mayBreakGlass = !!actions.breakGlass
  const [message, setMessage] = useState('')
  const [breakGlass, setBreakGlass] = useState(false)
  const [reason, setReason] = useState('')
  const submit = useSubmit()
  const label = `${from.name} → ${to.name}`
  const d = diff.error?.status === 404 ? undefined : diff.data

  const promote = (e: FormEvent) => {
    e.preventDefault()
    submit.run(async () => {
      const body: PromotionRequest = { from: from.name, to: to.name, message: message.trim() || undefined }
      if (breakGlass) body.breakGlass = { reason: reason.trim() }
      const p = await post<Promotion>(base + '/promotions', body)
      setMessage('')
      setBreakGlass(false)
      setReason('')
      onPromoted(p)
    })
  }

  return (
    <section className="card path-step" aria-label={`Promote from ${from.name} to ${to.name}`} data-from={from.name} data-to={to.name}>
      <h3>{label}</h3>
      {diff.error?.status === 404 && <p className="muted">{app} is deployed in neither environment yet.</p>}
      {diff.error && diff.error.status !== 404 && <ErrorBanner error={diff.error} prefix="Could not compare them" />}
      {d && <DiffView diff={d} />}
      {access && !mayPromote && (
        <p className="muted" data-testid="may-not-promote">
          You may not promote into {to.name}.
        </p>
      )}
      {mayPromote && (
        <form onSubmit={promote} className="promote-form" aria-label={`Promote ${label}`}>
          <p className="muted">
            Promotes what serves in {from.name}
            {d?.fromRevision ? (
              <>
                : <span className="mono">{d.fromRevision}</span>
              </>
            ) : null}
            .
          </p>
          <Field label="Message" errors={fieldMessages(submit.error, 'message')}>
            {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
          </Field>
          {mayBreakGlass && (
            <>
              <label className="check">
                <input type="checkbox" checked={breakGlass} onChange={(e) => setBreakGlass(e.target.checked)} />
                Break glass: skip approvals and windows
              </label>
              {breakGlass && (
                <Field label="Break-glass reason" errors={fieldMessages(submit.error, 'breakGlass', true)} hint="Recorded in the history and the audit trail.">
                  {(p) => <input {...p} required value={reason} onChange={(e) => setReason(e.target.value)} />}
                </Field>
              )}
            </>
          )}
          <ErrorBanner error={submit.error} prefix={refusal(submit.error) ? 'Promotion refused' : 'Promotion failed'} />
          <button type="submit" className={breakGlass ? 'danger' : 'primary'} disabled={submit.busy || (breakGlass && !reason.trim())}>
            {submit.busy ? 'Promoting…' : `Promote ${label}`}
          </button>
        </form>
      )}
    </section>
  )
}

type Decision = { p: Promotion; kind: 'approve' | 'reject' }

function PendingPromotions({ project, app, pending, access, onDecided }: { project: string; app: string; pending: Promotion[]; access?: ProjectAccess; onDecided: (msg: string) => void }) {
  const { me, environments } = useSession()
  const [decision, setDecision] = useState<Decision | null>(null)
  const [message, setMessage] = useState('')
  const submit = useSubmit<'approve' | 'reject'>()
  const base = appAcrossPath(project, app)
  const mayDecide = (p: Promotion) => !!access?.envs[p.to]?.actions.approvePromotions
  const selfForbidden = (p: Promotion) => p.requestedBy === me.name && !!environments.find((e) => e.name === p.to)?.requireApprovals?.forbidSelfApproval

  const open = (p: Promotion, kind: Decision['kind']) => {
    setDecision({ p, kind })
    setMessage('')
    submit.setError(undefined)
  }
  const decide = () => {
    if (!decision) return
    const { p, kind } = decision
    submit.run(async () => {
      const after = await post<Promotion>(`${base}/promotions/${encodeURIComponent(p.id)}/${kind}`, { message: message.trim() || undefined } satisfies DecisionRequest)
      setDecision(null)
      onDecided(kind === 'reject' ? `Rejected promotion ${p.id}.` : after.state === 'pending' ? `Approved promotion ${p.id}: ${approvalCount(after)}.` : `Approved. ${outcome(after)}`)
    }, kind)
  }

  return (
    <section aria-labelledby="pending-title">
      <h2 id="pending-title">Waiting for approval</h2>
      {pending.length === 0 && <p className="muted">No promotion is waiting.</p>}
      {pending.length > 0 && (
        <Table
          className="pending-promotions"
          caption={<>Promotions of {app} waiting for approval</>}
          columns={['Promotion', 'Step', 'Release', 'Approvals', 'Requested', <span className="sr-only">Actions</span>]}
        >
          {pending.map((p) => (
            <tr key={p.id} data-promotion={p.id}>
              <th scope="row" className="mono">
                {p.id}
              </th>
              <td>
                {p.from} → {p.to}
              </td>
              <td>
                {p.revision}
                <div className="source muted mono">{p.release}</div>
              </td>
              <td data-testid="approvals">
                {approvalCount(p)}
                {p.approvals.length > 0 && <div className="source muted">by {p.approvals.map((a) => a.user).join(', ')}</div>}
              </td>
              <td>
                {p.requestedBy}{' '}
                <time className="muted" dateTime={p.createdAt} title={when(p.createdAt)}>
                  {ago(p.createdAt)}
                </time>
                {p.message && <div className="msg">“{p.message}”</div>}
                {selfForbidden(p) && <div className="source muted">You asked for it: {p.to} needs someone else to approve.</div>}
              </td>
              <td>
                {mayDecide(p) && (
                  <div className="row-actions">
                    <button onClick={() => open(p, 'approve')} aria-label={`Approve promotion ${p.id}`}>
                      Approve
                    </button>
                    <button className="danger" onClick={() => open(p, 'reject')} aria-label={`Reject promotion ${p.id}`}>
                      Reject
                    </button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ConfirmDialog
        open={!!decision}
        title={decision ? `${decision.kind === 'approve' ? 'Approve' : 'Reject'} promotion ${decision.p.id}?` : ''}
        confirmLabel={decision?.kind === 'reject' ? 'Reject' : 'Approve'}
        danger={decision?.kind === 'reject'}
        busy={submit.busy}
        onConfirm={decide}
        onCancel={() => setDecision(null)}
      >
        {decision && (
          <p>
            {decision.p.revision} (release <span className="mono">{decision.p.release}</span>) from {decision.p.from} to {decision.p.to}, asked for by{' '}
            {decision.p.requestedBy}. {decision.kind === 'approve' ? `It has ${approvalCount(decision.p)}; the last one it needs deploys it.` : 'A rejected promotion does not deploy.'}
          </p>
        )}
        <Field label="Message (recorded with the decision)" errors={fieldMessages(submit.error, 'message')}>
          {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
        </Field>
        <ErrorBanner error={submit.error} prefix={refusal(submit.error) ? `${decision?.kind === 'reject' ? 'Rejection' : 'Approval'} refused` : 'Failed'} />
      </ConfirmDialog>
    </section>
  )
}
