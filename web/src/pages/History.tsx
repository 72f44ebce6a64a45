import { ErrorBanner } from '../components/errors'
import { TrafficBar } from '../components/TrafficBar'
import { ago, shortImage, when } from '../format'
import { usePoll } from '../poll'
import type { HistoryEntry } from '../schema'
import { SourceNote } from '../components/Source'

const VERB: Record<string, string> = { deploy: 'Deployed', traffic: 'Changed traffic', rollback: 'Rolled back' }

export function HistoryTab({ base }: { base: string }) {
  const h = usePoll<HistoryEntry[]>(base + '/history', 5000)
  const entries = [...(h.data ?? [])].reverse()
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorBanner error={h.error} prefix="Could not load the history" />
      {h.data && entries.length === 0 && <p className="muted">Nothing happened yet.</p>}
      <ol className="timeline" aria-label="Newest first">
        {entries.map((e, i) => (
          <li key={i} className={`entry ${e.action}`} data-action={e.action}>
            <div className="when">
              <time dateTime={e.time} title={when(e.time)}>
                {ago(e.time)}
              </time>
            </div>
            <div className="what">
              <strong>{VERB[e.action] ?? e.action}</strong>
              {e.revision && <> {e.revision}</>}
              {e.image && <span className="mono muted"> {shortImage(e.image)}</span>} <span className="muted">by {e.user}</span>
              {e.message && <div className="msg">“{e.message}”</div>}
              {e.source && <SourceNote source={e.source} />}
              <TrafficBar targets={e.traffic ?? []} label="Traffic after this change" />
            </div>
          </li>
        ))}
      </ol>
    </section>
  )
}
