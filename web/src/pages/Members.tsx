import { useState, type FormEvent } from 'react'
import { API, asApiError, post, type ApiError } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { usePoll } from '../poll'
import type { Member } from '../types'
import { ProjectHeader, useAccess } from './Project'

export function MembersPage({ project }: { project: string }) {
  const path = `${API}/projects/${encodeURIComponent(project)}/members`
  const members = usePoll<Member[]>(path, 15000)
  const access = useAccess(project)
  return (
    <section>
      <ProjectHeader project={project} current="Members" />
      <ErrorBanner error={members.error} prefix="Could not load members" />
      {members.data && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Members of {project}</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.kind + '/' + m.name}>
                  <td>{m.kind}</td>
                  <td>{m.name}</td>
                  <td>{m.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {access.data?.manageMembers && <Grant path={path} onDone={members.refresh} />}
    </section>
  )
}

function Grant({ path, onDone }: { path: string; onDone: () => void }) {
  const [kind, setKind] = useState('User')
  const [name, setName] = useState('')
  const [role, setRole] = useState('developer')
  const [error, setError] = useState<ApiError | undefined>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await post(path, { kind, name: name.trim(), role })
      setName('')
      onDone()
    } catch (err) {
      setError(asApiError(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card form" onSubmit={submit} aria-labelledby="grant">
      <h2 id="grant">Grant a role</h2>
      <div className="row">
        <Field label="Kind" errors={fieldMessages(error, 'kind')}>
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
              <option>User</option>
              <option>Group</option>
            </select>
          )}
        </Field>
        <Field label="Name" errors={fieldMessages(error, 'name')}>
          {(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role" errors={fieldMessages(error, 'role')}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
              <option>viewer</option>
              <option>developer</option>
              <option>admin</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorBanner error={error} prefix="Could not grant the role" />
      <button type="submit" className="primary" disabled={busy || !name.trim()}>
        Grant
      </button>
    </form>
  )
}
