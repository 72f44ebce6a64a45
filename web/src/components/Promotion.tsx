// A promotion's parts that need no API: its state badge, its outcome, and the diff between
// two environments (pages/Promotions.tsx).
import { Table } from './Table'
import { shortImage } from '../format'
import { approvalsMissing, stateClass } from '../promotion'
import type { Diff, Promotion } from '../schema'

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={'badge ' + stateClass(state)} data-state={state}>
      {state}
    </span>
  )
}

/** PromotionOutcome says how a promotion ended (or what it waits for). */
export function PromotionOutcome({ p }: { p: Promotion }) {
  return (
    <>
      {p.state === 'pending' && <span className="muted">waiting for {approvalsMissing(p) === 1 ? '1 approval' : `${approvalsMissing(p)} approvals`}</span>}
      {p.deployedRevision && (
        <span>
          deployed as <span className="mono">{p.deployedRevision}</span>
        </span>
      )}
      {p.rejection && (
        <span>
          rejected by {p.rejection.user}
          {p.rejection.message && <>: “{p.rejection.message}”</>}
        </span>
      )}
      {p.error && <span className="field-error">{p.error}</span>}
      {p.breakGlass && (
        <div className="source break-glass">
          <span className="badge bad">break-glass</span> by {p.breakGlass.user}: {p.breakGlass.message}
        </div>
      )}
      {p.approvals.length > 0 && <div className="source muted">approved by {p.approvals.map((a) => a.user).join(', ')}</div>}
    </>
  )
}

/** DiffView lists what differs between two environments' serving revisions. */
export function DiffView({ diff }: { diff: Diff }) {
  const same = diff.fromRelease && diff.fromRelease === diff.toRelease
  return (
    <div className="diff" data-testid="diff">
      {same && (
        <p>
          {diff.to} runs the same release as {diff.from}.
        </p>
      )}
      {!diff.toRevision && <p className="muted">Nothing serves in {diff.to} yet.</p>}
      {diff.differences.length === 0 ? (
        !same && <p className="muted">No differences.</p>
      ) : (
        <Table className="diff-table" caption={<>How {diff.from} differs from {diff.to}</>} columns={['Field', diff.from, diff.to]}>
          {diff.differences.map((x) => (
            <tr key={x.field} data-field={x.field}>
              <th scope="row" className="mono">
                {x.field}
              </th>
              <td className="mono" title={x.from}>
                {x.from ? shortImage(x.from) : '—'}
              </td>
              <td className="mono" title={x.to}>
                {x.to ? shortImage(x.to) : '—'}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  )
}
