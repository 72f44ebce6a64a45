import { useState } from 'react'
import { appPath } from '../api'
import { useAccess } from '../access'
import { ErrorBanner } from '../components/errors'
import { ReadyBadge } from '../components/Status'
import { TrafficBar } from '../components/TrafficBar'
import { usePoll } from '../poll'
import { href, Link, navigate } from '../router'
import { useSession } from '../session'
import type { AppStatus, Revision } from '../schema'
import { RevisionsTab } from './Revisions'
import { DeployForm } from './Deploy'
import { TrafficEditor } from './TrafficEditor'
import { RulesEditor } from './Rules'
import { HistoryTab } from './History'
import { ManifestsTab } from './Manifests'
import { PipelineTab } from './Pipeline'
import { SchedulesTab } from './Schedules'

export const TABS = ['revisions', 'deploy', 'traffic', 'rules', 'pipeline', 'schedules', 'history', 'manifests'] as const
export type Tab = (typeof TABS)[number]
const LABELS: Record<Tab, string> = {
  revisions: 'Revisions',
  deploy: 'Deploy',
  traffic: 'Traffic',
  rules: 'Header rules',
  pipeline: 'Pipeline',
  schedules: 'Schedules & scaling',
  history: 'History',
  manifests: 'Manifests',
}

// Revisions turn Ready about 20 s after a deploy: a 2 s poll (304s while nothing changes)
// shows it without a reload.
const POLL_MS = 2000

interface Props {
  project: string
  app: string
  env: string
  tab: Tab
}

export function AppEnvPage({ project, app, env, tab }: Props) {
  const { environments } = useSession()
  const promotionOnly = environments.find((e) => e.name === env)?.deployVia === 'promotion'
  const base = appPath(project, app, env)
  const status = usePoll<AppStatus>(base, POLL_MS)
  const revisions = usePoll<Revision[]>(base + '/revisions', POLL_MS)
  const access = useAccess(project)
  const rights = access.data?.envs[env]
  const canChange = !!rights?.change
  // Where releases come by promotion, a direct deploy breaks glass: offered only to who may.
  const canDeploy = canChange && (!promotionOnly || !!rights?.actions.breakGlass)
  const notDeployed = status.error?.status === 404
  const [notice, setNotice] = useState<string>()
  const tabHref = (t: Tab) => (t === 'revisions' ? href('projects', project, 'apps', app, 'envs', env) : href('projects', project, 'apps', app, 'envs', env, t))
  const refresh = async () => {
    await Promise.all([status.refresh(), revisions.refresh()])
  }
  const done = (msg: string, to: Tab = 'revisions') => {
    setNotice(msg)
    refresh()
    navigate(tabHref(to))
  }
  const st = notDeployed ? undefined : status.data
  // A pipeline can make the first deploy: its tab is there before the app is.
  const shown: Tab[] = notDeployed ? (canDeploy ? ['deploy', 'pipeline'] : ['pipeline']) : TABS.filter((t) => t !== 'deploy' || canDeploy)
  const active: Tab = shown.includes(tab) ? tab : shown[0] ?? 'revisions'
  const revs = revisions.data ?? []

  return (
    <section>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Projects</Link> / <Link to={href('projects', project)}>{project}</Link> / <span aria-current="page">{app}</span>
      </nav>
      <div className="title-row">
        <h1>
          {app} <span className="muted">in</span> {env}
        </h1>
        <div className="title-links">
          <nav aria-label="Environment" className="envswitch">
            {environments.map((e) => (
              <Link key={e.name} to={href('projects', project, 'apps', app, 'envs', e.name)} aria-current={e.name === env ? 'page' : undefined}>
                {e.name}
              </Link>
            ))}
          </nav>
          {environments.length > 1 && (
            <Link to={href('projects', project, 'apps', app, 'promotions')} className="promotions-link">
              Promotions
            </Link>
          )}
        </div>
      </div>
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
      {!notDeployed && <ErrorBanner error={status.error} prefix="Could not load the app" />}
      <ErrorBanner error={access.error} prefix="Could not load your permissions" />
      {notDeployed && (
        <p className="banner info">
          {app} is not deployed in {env} yet.{' '}
          {promotionOnly ? (
            <>
              {env} is reached by promotion: see <Link to={href('projects', project, 'apps', app, 'promotions')}>{app}'s promotions</Link>.
            </>
          ) : (
            access.data && !canChange && 'You may not deploy here.'
          )}
        </p>
      )}
      {st && <Summary st={st} />}
      {access.data && !canChange && !notDeployed && <p className="muted">You may read this app in {env} but not change it: deploy, traffic and rollback are not offered.</p>}

      <nav aria-label="App" className="tabs">
        {shown.map((t) => (
          <Link key={t} to={tabHref(t)} aria-current={t === active ? 'page' : undefined}>
            {LABELS[t]}
          </Link>
        ))}
      </nav>

      <div className="tab-panel">
        {active === 'revisions' && st && (
          <RevisionsTab
            base={base}
            app={app}
            env={env}
            revisions={revs}
            error={revisions.error}
            status={st}
            canChange={canChange}
            canDelete={!!rights?.delete}
            onChanged={(m) => done(m)}
            onDeleted={() => navigate(href('projects', project))}
          />
        )}
        {active === 'deploy' && canDeploy && (
          <DeployForm key={st?.image ?? 'new'} base={base} env={env} current={st} breakGlass={promotionOnly} onDeployed={(r) => done(`Deployed ${r.revision}. It appears below and turns Ready when Knative has it running (about 20 s here).`)} />
        )}
        {active === 'traffic' && st && (
          <TrafficEditor status={st} revisions={revs} base={base} readOnly={!canChange} onSaved={() => done('Traffic split saved.')} />
        )}
        {active === 'rules' && st && <RulesEditor status={st} revisions={revs} base={base} readOnly={!canChange} onSaved={() => done('Header rules saved.', 'rules')} />}
        {active === 'pipeline' && (access.data || access.error) && (
          <PipelineTab project={project} app={app} env={env} base={base} canChange={canChange} canStart={!!(rights?.startRuns ?? canChange)} />
        )}
        {active === 'schedules' && st && (
          <SchedulesTab
            base={base}
            app={app}
            env={env}
            policy={environments.find((e) => e.name === env)}
            canSchedules={!!rights?.actions.manageSchedules}
            canScaling={!!rights?.actions.manageScaling}
          />
        )}
        {active === 'history' && st && <HistoryTab base={base} />}
        {active === 'manifests' && st && <ManifestsTab base={base} filename={`${app}-${env}.yaml`} />}
      </div>
    </section>
  )
}

function Summary({ st }: { st: AppStatus }) {
  const served = st.servedTraffic.filter((t) => t.percent > 0)
  return (
    <div className="card summary">
      <dl>
        <div>
          <dt>Status</dt>
          <dd>
            <ReadyBadge ready={st.ready} reason={st.reason} /> {!st.ready && st.reason && <span className="muted reason">{st.reason}</span>}
          </dd>
        </div>
        <div>
          <dt>URL</dt>
          <dd className="url">{st.url ?? '—'}</dd>
        </div>
        <div>
          <dt>Latest revision</dt>
          <dd>
            {st.latestCreatedRevision ?? '—'}
            {st.latestReadyRevision && st.latestReadyRevision !== st.latestCreatedRevision && <span className="muted"> (Ready: {st.latestReadyRevision})</span>}
          </dd>
        </div>
        <div>
          <dt>Serving now</dt>
          <dd data-testid="serving">{served.length ? served.map((t) => `${t.revision} ${t.percent}%`).join(', ') : '—'}</dd>
        </div>
      </dl>
      <div className="bar-label">Traffic (desired)</div>
      <TrafficBar targets={st.traffic} />
      {st.rules && st.rules.length > 0 && (
        <p className="muted">
          {st.rules.length === 1 ? '1 header rule routes' : `${st.rules.length} header rules route`} matching requests first.
        </p>
      )}
    </div>
  )
}
