import { shortSha } from '../pipeline'
import type { Source } from '../schema'

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
