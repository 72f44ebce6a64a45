import { ErrorBanner } from '../components/errors'
import { TrafficBar } from '../components/TrafficBar'
import { ago, shortImage, when } from '../format'
import { usePoll } from '../poll'
import type { HistoryEntry } from '../schema'
import { BreakGlassNote, PromotedFromNote, SourceNote } from '../components/Source'

const VERB: Record<string, string> = {
  deploy: 'Deployed',
  traffic: 'Changed traffic',
  rollback: 'Rolled back',
  promoted: 'Promoted',
  'promotion-requested': 'Asked to promote',
  'promotion-approved': 'Approved the promotion of',
  'promotion-rejected': 'Rejected the promotion of',
}

/** verb is an action's words; one the console does not know yet is shown as it is named ("scale-up": "Scale up"). */
export function verb(action: string): string {
  if (VERB[action]) return VERB[action]
  const words = action.replace(/[-_]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase()
  return words ? words[0].toUpperCase() + words.slice(1) : 'Changed'
}

// A promotion's request and decisions change no traffic: they draw no bar.
const NO_TRAFFIC = new Set(['promotion-requested', 'promotion-approved', 'promotion-rejected'])

export function HistoryTab({ base }: { base: string }) {
  const h = usePoll<HistoryEntry[]>(base + '/history', 5000)
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorBanner error={h.error} prefix="Could not load the history" />
      {h.data && h.data.length === 0 && <p className="muted">Nothing happened yet.</p>}
      <Timeline entries={h.data ?? []} />
    </section>
  )
}

/** Timeline draws history entries (given oldest first, as the API lists them) newest first. */
export function Timeline({ entries, now }: { entries: HistoryEntry[]; now?: number }) {
  return (
    <ol className="timeline" aria-label="Newest first">
      {[...entries].reverse().map((e, i) => (
        <li key={i} className={`entry ${e.action}`} data-action={e.action}>
          <div className="when">
            <time dateTime={e.time} title={when(e.time)}>
              {ago(e.time, now)}
            </time>
          </div>
          <div className="what">
            <strong>{verb(e.action)}</strong>
            {e.revision && <> {e.revision}</>}
            {e.image && <span className="mono muted"> {shortImage(e.image)}</span>} <span className="muted">by {e.user}</span>
            {e.release && (
              <div className="source muted">
                release <span className="mono">{e.release}</span>
              </div>
            )}
            {e.message && <div className="msg">“{e.message}”</div>}
            {e.source && <SourceNote source={e.source} />}
            {e.promotedFrom && <PromotedFromNote from={e.promotedFrom} />}
            {e.breakGlass && <BreakGlassNote reason={e.breakGlass} />}
            {!(NO_TRAFFIC.has(e.action) && !e.traffic?.length) && <TrafficBar targets={e.traffic ?? []} label="Traffic after this change" />}
          </div>
        </li>
      ))}
    </ol>
  )
}
