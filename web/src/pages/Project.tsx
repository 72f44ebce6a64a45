import { useState, type FormEvent } from 'react'
import { API } from '../api'
import { useAccess } from '../access'
import { ErrorBanner, Field } from '../components/errors'
import { ProjectHeader } from '../components/ProjectHeader'
import { ReadyBadge } from '../components/Status'
import { TrafficBar } from '../components/TrafficBar'
import { usePoll } from '../poll'
import { href, Link, navigate } from '../router'
import { useSession } from '../session'
import type { AppStatus, AppSummary } from '../schema'

/** servingRevisions names what takes traffic now, as Knative's Route reports it. */
function serving(st: AppStatus): string {
  const served = st.servedTraffic.filter((t) => t.percent > 0)
  if (served.length === 0) return '—'
  return served.map((t) => (served.length > 1 ? `${t.revision} (${t.percent}%)` : t.revision)).join(', ')
}

export function ProjectPage({ project }: { project: string }) {
  const { environments } = useSession()
  const apps = usePoll<AppSummary[]>(`${API}/projects/${encodeURIComponent(project)}/apps`, 5000)
  const access = useAccess(project)
  // A new app starts where a direct deploy is allowed: the others are reached by promotion.
  const changeable = environments.filter((e) => access.data?.envs[e.name]?.change && e.deployVia !== 'promotion')
  return (
    <section>
      <ProjectHeader project={project} current="Apps" />
      <ErrorBanner error={apps.error} prefix="Could not load apps" />
      <ErrorBanner error={access.error} prefix="Could not load your permissions" />
      {apps.loading && !apps.data && <p className="loading">Loading…</p>}
      {apps.data && apps.data.length === 0 && <p>No apps yet.{changeable.length ? ' Deploy the first one below.' : ''}</p>}
      {apps.data && apps.data.length > 0 && (
        <div className="apps">
          {apps.data.map((a) => (
            <article key={a.name} className="card app" aria-labelledby={`app-${a.name}`}>
              <div className="app-head">
                <h2 id={`app-${a.name}`}>{a.name}</h2>
                {environments.length > 1 && (
                  <Link to={href('projects', project, 'apps', a.name, 'promotions')} aria-label={`Promotions of ${a.name}`}>
                    Promotions
                  </Link>
                )}
              </div>
              <div className="envs">
                {environments.map((e) => {
                  const st = a.envs[e.name]
                  if (!st && e.deployVia === 'promotion') {
                    // A direct deploy here is refused (promotionRequired): releases come by promotion.
                    return (
                      <div key={e.name} className="env empty">
                        <h3>{e.name}</h3>
                        <Link to={href('projects', project, 'apps', a.name, 'promotions')}>Reached by promotion</Link>
                      </div>
                    )
                  }
                  if (!st) {
                    return access.data?.envs[e.name]?.change ? (
                      <div key={e.name} className="env empty">
                        <h3>{e.name}</h3>
                        <Link to={href('projects', project, 'apps', a.name, 'envs', e.name, 'deploy')}>Deploy to {e.name}</Link>
                      </div>
                    ) : null
                  }
                  return (
                    <div key={e.name} className="env">
                      <h3>
                        <Link to={href('projects', project, 'apps', a.name, 'envs', e.name)} aria-label={`${a.name} in ${e.name}`}>
                          {e.name}
                        </Link>{' '}
                        <ReadyBadge ready={st.ready} reason={st.reason} />
                      </h3>
                      <dl>
                        <dt>URL</dt>
                        <dd>{st.url ? <span className="url">{st.url}</span> : '—'}</dd>
                        <dt>Serving</dt>
                        <dd>{serving(st)}</dd>
                      </dl>
                      <TrafficBar targets={st.traffic} label={`Traffic of ${a.name} in ${e.name}`} />
                    </div>
                  )
                })}
              </div>
            </article>
          ))}
        </div>
      )}
      {changeable.length > 0 && <NewApp project={project} envs={changeable.map((e) => e.name)} />}
    </section>
  )
}

function NewApp({ project, envs }: { project: string; envs: string[] }) {
  const [name, setName] = useState('')
  const [env, setEnv] = useState(envs[0])
  const nameErr = name && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) ? ['lower-case letters, digits and "-", starting with a letter'] : []
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (nameErr.length) return
    navigate(href('projects', project, 'apps', name, 'envs', env, 'deploy'))
  }
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="new-app">
      <h2 id="new-app">New app</h2>
      <div className="row">
        <Field label="App name" errors={nameErr}>
          {(p) => <input {...p} name="app" required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Environment">
          {(p) => (
            <select {...p} name="env" value={env} onChange={(e) => setEnv(e.target.value)}>
              {envs.map((e) => (
                <option key={e}>{e}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <button type="submit" className="primary" disabled={!name || nameErr.length > 0}>
        Continue to deploy
      </button>
    </form>
  )
}
