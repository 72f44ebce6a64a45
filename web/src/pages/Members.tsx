import { useState, type FormEvent } from 'react'
import { API, post } from '../api'
import { useAccess } from '../access'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { ProjectHeader } from '../components/ProjectHeader'
import { Table } from '../components/Table'
import { usePoll } from '../poll'
import { useSubmit } from '../submit'
import type { Member, MemberRequest } from '../schema'

export function MembersPage({ project }: { project: string }) {
  const path = `${API}/projects/${encodeURIComponent(project)}/members`
  const members = usePoll<Member[]>(path, 15000)
  const access = useAccess(project)
  return (
    <section>
      <ProjectHeader project={project} current="Members" />
      <ErrorBanner error={members.error} prefix="Could not load members" />
      {members.data && (
        <Table caption={<>Members of {project}</>} columns={['Kind', 'Name', 'Role']}>
          {members.data.map((m) => (
            <tr key={m.kind + '/' + m.name}>
              <td>{m.kind}</td>
              <td>{m.name}</td>
              <td>{m.role}</td>
            </tr>
          ))}
        </Table>
      )}
      {access.data?.manageMembers && <Grant path={path} onDone={members.refresh} />}
    </section>
  )
}

function Grant({ path, onDone }: { path: string; onDone: () => void }) {
  const [kind, setKind] = useState('User')
  const [name, setName] = useState('')
  const [role, setRole] = useState('developer')
  const { busy, error, run } = useSubmit()
  const submit = (e: FormEvent) => {
    e.preventDefault()
    run(async () => {
      await post(path, { kind, name: name.trim(), role } satisfies MemberRequest)
      setName('')
      onDone()
    })
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
