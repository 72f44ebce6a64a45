import { useState } from 'react'
import { asApiError, del, post, type ApiError } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { ReadyBadge } from '../components/Status'
import { ago, shortImage, when } from '../format'
import type { AppStatus, Revision, TrafficResult } from '../types'
import { SourceNote } from '../components/Source'

interface Props {
  base: string
  app: string
  env: string
  revisions: Revision[]
  error?: ApiError
  status: AppStatus
  canChange: boolean
  canDelete: boolean
  onChanged: (msg: string) => void
  onDeleted: () => void
}

export function RevisionsTab({ base, app, env, revisions, error, status, canChange, canDelete, onChanged, onDeleted }: Props) {
  const [target, setTarget] = useState<Revision | null>(null)
  const [message, setMessage] = useState('')
  const [busy, setBusy] = useState(false)
  const [rbError, setRbError] = useState<ApiError | undefined>()
  const [deleting, setDeleting] = useState(false)
  const [delError, setDelError] = useState<ApiError | undefined>()
  const sorted = [...revisions].sort((a, b) => b.name.localeCompare(a.name, undefined, { numeric: true }))
  const serving = new Set(status.servedTraffic.filter((t) => t.percent > 0).map((t) => t.revision))

  const rollback = async () => {
    if (!target) return
    setBusy(true)
    setRbError(undefined)
    try {
      await post<TrafficResult>(base + '/rollback', { revision: target.name, message: message.trim() || undefined })
      setTarget(null)
      onChanged(`Rolled back: all traffic goes to ${target.name}.`)
    } catch (e) {
      setRbError(asApiError(e))
    } finally {
      setBusy(false)
    }
  }
  const remove = async () => {
    setBusy(true)
    setDelError(undefined)
    try {
      await del(base)
      onDeleted()
    } catch (e) {
      setDelError(asApiError(e))
      setBusy(false)
    }
  }

  return (
    <>
      <ErrorBanner error={error} prefix="Could not load revisions" />
      <div className="table-wrap">
        <table className="revisions">
          <caption className="sr-only">Revisions of {app} in {env}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Image</th>
              <th scope="col">Created</th>
              <th scope="col">By</th>
              <th scope="col">Message</th>
              <th scope="col">Traffic</th>
              <th scope="col">Ready</th>
              {canChange && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.name} data-revision={r.name}>
                <th scope="row">
                  {r.name}
                  {r.tags?.map((t) => (
                    <span key={t} className="chip" title="traffic tag">
                      {t}
                    </span>
                  ))}
                </th>
                <td title={r.image} className="mono">
                  {shortImage(r.image)}
                </td>
                <td title={when(r.created)}>{ago(r.created)}</td>
                <td>{r.deployedBy || '—'}</td>
                <td className="msg">
                  {r.message || ''}
                  {r.source && <SourceNote source={r.source} />}
                </td>
                <td className="num" data-testid="percent">
                  {r.percent}%{serving.has(r.name) ? '' : r.percent > 0 ? ' (pending)' : ''}
                </td>
                <td data-testid="ready">
                  <ReadyBadge ready={r.ready} reason={r.reason} />
                </td>
                {canChange && (
                  <td>
                    {r.ready && r.percent < 100 && (
                      <button
                        onClick={() => {
                          setTarget(r)
                          setMessage('')
                          setRbError(undefined)
                        }}
                        aria-label={`Roll back to ${r.name}`}
                      >
                        Roll back
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length === 0 && !error && <p className="muted">No revisions yet: Knative creates one a moment after a deploy.</p>}

      <ConfirmDialog
        open={!!target}
        title={`Roll back to ${target?.name ?? ''}?`}
        confirmLabel={`Roll back to ${target?.name ?? ''}`}
        danger
        busy={busy}
        onConfirm={rollback}
        onCancel={() => setTarget(null)}
      >
        <p>
          All traffic of {app} in {env} moves to <strong>{target?.name}</strong> ({target && shortImage(target.image)}). Header rules keep
          their revisions.
        </p>
        <Field label="Why (recorded in the history)" errors={fieldMessages(rbError, 'message')}>
          {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
        </Field>
        <ErrorBanner error={rbError} prefix="Rollback failed" />
      </ConfirmDialog>

      {canDelete && (
        <div className="danger-zone">
          <button className="danger" onClick={() => setDeleting(true)}>
            Delete {app} from {env}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={deleting}
        title={`Delete ${app} from ${env}?`}
        confirmLabel="Delete"
        danger
        busy={busy}
        onConfirm={remove}
        onCancel={() => setDeleting(false)}
      >
        <p>The Knative Service, its revisions and its history in {env} are deleted. Other environments are not touched.</p>
        <ErrorBanner error={delError} prefix="Delete failed" />
      </ConfirmDialog>
    </>
  )
}
