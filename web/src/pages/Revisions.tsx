import { useState } from 'react'
import { del, post, type ApiError } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { ReadyBadge } from '../components/Status'
import { Table } from '../components/Table'
import { ago, newestFirst, shortImage, when } from '../format'
import { useSubmit } from '../submit'
import type { AppStatus, Revision, RollbackRequest, TrafficResult } from '../schema'
import { BreakGlassNote, PromotedFromNote, SourceNote } from '../components/Source'

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
  const rb = useSubmit()
  const [deleting, setDeleting] = useState(false)
  // Deleted, the page moves to the project: the dialog stays busy until it goes.
  const removal = useSubmit({ keepBusy: true })
  // One call at a time: either dialog waits while the other's call runs.
  const busy = rb.busy || removal.busy
  const sorted = newestFirst(revisions)
  const serving = new Set(status.servedTraffic.filter((t) => t.percent > 0).map((t) => t.revision))

  const rollback = () => {
    if (!target) return
    rb.run(async () => {
      await post<TrafficResult>(base + '/rollback', { revision: target.name, message: message.trim() || undefined } satisfies RollbackRequest)
      setTarget(null)
      onChanged(`Rolled back: all traffic goes to ${target.name}.`)
    })
  }
  const remove = () =>
    removal.run(async () => {
      await del(base)
      onDeleted()
    })

  return (
    <>
      <ErrorBanner error={error} prefix="Could not load revisions" />
      <Table
        className="revisions"
        caption={<>Revisions of {app} in {env}, newest first</>}
        columns={['Revision', 'Image', 'Created', 'By', 'Message', 'Traffic', 'Ready', ...(canChange ? [<span className="sr-only">Actions</span>] : [])]}
      >
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
              {r.release && <div className="source muted">release {r.release}</div>}
            </td>
            <td title={when(r.created)}>{ago(r.created)}</td>
            <td>{r.deployedBy || '—'}</td>
            <td className="msg">
              {r.message || ''}
              {r.source && <SourceNote source={r.source} />}
              {r.promotedFrom && <PromotedFromNote from={r.promotedFrom} />}
              {r.breakGlass && <BreakGlassNote reason={r.breakGlass} />}
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
                      rb.setError(undefined)
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
      </Table>
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
        <Field label="Why (recorded in the history)" errors={fieldMessages(rb.error, 'message')}>
          {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
        </Field>
        <ErrorBanner error={rb.error} prefix="Rollback failed" />
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
        <ErrorBanner error={removal.error} prefix="Delete failed" />
      </ConfirmDialog>
    </>
  )
}
