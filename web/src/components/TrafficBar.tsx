import type { Target } from '../schema'
import { shares } from '../traffic'

const COLORS = 6

/** TrafficBar draws a split as proportional segments, with a text equivalent for readers. */
export function TrafficBar({ targets, label = 'Traffic' }: { targets: Target[]; label?: string }) {
  const s = shares(targets)
  const text = s.length ? s.map((x) => `${x.label} ${x.percent}%`).join(', ') : 'no traffic'
  return (
    <div className="traffic-bar" role="img" aria-label={`${label}: ${text}`} title={text}>
      {s.map((x, i) => (
        <span key={i} className={`seg c${i % COLORS}`} style={{ width: `${x.percent}%` }}>
          {x.percent >= 12 ? `${x.label.replace(/^.*-(\d+)$/, '#$1')} ${x.percent}%` : ''}
        </span>
      ))}
    </div>
  )
}
