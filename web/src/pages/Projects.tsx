import { useState, type FormEvent } from 'react'
import { post } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { usePoll } from '../poll'
import { href, Link, navigate } from '../router'
import { useSession } from '../session'
import { useSubmit } from '../submit'
import type { CreateRequest, Project } from '../schema'

export function ProjectsPage() {
  const { me, environments } = useSession()
  const projects = usePoll<Project[]>('/api/v1/projects', 10000)
  return (
    <section>
      <h1>Projects</h1>
      <ErrorBanner error={projects.error} prefix="Could not load projects" />
      {projects.loading && !projects.data && <p className="loading">Loading…</p>}
      {projects.data && projects.data.length === 0 && (
        <p>{me.createProjects ? 'No projects yet: create the first one below.' : 'You are not a member of any project yet. Ask a project admin to add you.'}</p>
      )}
      {projects.data && projects.data.length > 0 && (
        <ul className="cards" aria-label="Projects">
          {projects.data.map((p) => (
            <li key={p.name} className="card">
              <h2>
                <Link to={href('projects', p.name)}>{p.name}</Link>
              </h2>
              <div className="muted">
                {environments.map((e) => (p.namespaces[e.name] ? <span key={e.name} className="chip">{e.name}: {p.namespaces[e.name]}</span> : null))}
              </div>
            </li>
          ))}
        </ul>
      )}
      {me.createProjects && <NewProject onCreated={(name) => navigate(href('projects', name))} />}
    </section>
  )
}

function NewProject({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('')
  const { busy, error, run } = useSubmit()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    run(async () => {
      const p = await post<Project>('/api/v1/projects', { name: name.trim() } satisfies CreateRequest)
      onCreated(p.name)
    })
  }
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="new-project">
      <h2 id="new-project">New project</h2>
      <Field label="Project name" errors={fieldMessages(error, 'name')} hint="A DNS label: lower-case letters, digits and '-'. One namespace per environment is made.">
        {(p) => <input {...p} name="project" required value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <ErrorBanner error={error} prefix="Could not create the project" />
      <button type="submit" className="primary" disabled={busy || !name.trim()}>
        {busy ? 'Creating…' : 'Create project'}
      </button>
    </form>
  )
}
