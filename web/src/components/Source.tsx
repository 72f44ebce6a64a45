import { shortSha } from '../pipeline'
import type { PromotedFrom, Source } from '../schema'

/** SourceNote says which pipeline run deployed a revision, and from which commit. */
export function SourceNote({ source }: { source: Source }) {
  return (
    <div className="source muted" data-testid="source">
      deployed by pipeline run <span className="mono">{source.pipelineRun}</span> from commit{' '}
      <span className="mono" title={source.commit}>
        {shortSha(source.commit)}
      </span>
    </div>
  )
}

/** PromotedFromNote says which environment, revision and release a promoted revision came from. */
export function PromotedFromNote({ from }: { from: PromotedFrom }) {
  return (
    <div className="source muted" data-testid="promoted-from">
      promoted from <strong>{from.env}</strong> (<span className="mono">{from.revision}</span>, release{' '}
      <span className="mono">{from.release}</span>) by promotion <span className="mono">{from.promotion}</span>
    </div>
  )
}

/** BreakGlassNote shows why a policy was skipped. */
export function BreakGlassNote({ reason }: { reason: string }) {
  return (
    <div className="source break-glass" data-testid="break-glass">
      <span className="badge bad">break-glass</span> {reason}
    </div>
  )
}
