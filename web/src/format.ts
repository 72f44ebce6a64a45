export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const s = Math.round((now - t) / 1000)
  if (s < 60) return `${Math.max(s, 0)} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

export function when(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

/** shortImage drops a digest's tail so tables stay readable; the title keeps it whole. */
export function shortImage(image: string): string {
  const at = image.indexOf('@sha256:')
  return at >= 0 ? image.slice(0, at + 15) + '…' : image
}

/** newestFirst orders revisions (app-00001, app-00002, …) by name, the newest first. */
export function newestFirst<T extends { name: string }>(revisions: T[]): T[] {
  return [...revisions].sort((a, b) => b.name.localeCompare(a.name, undefined, { numeric: true }))
}

/** until says how far ahead a time is ("in 5 min"); a time passed is "now". */
export function until(iso: string, now = Date.now()): string {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const s = Math.round((t - now) / 1000)
  if (s <= 0) return 'now'
  if (s < 60) return `in ${s} s`
  if (s < 3600) return `in ${Math.round(s / 60)} min`
  if (s < 86400) return `in ${Math.round(s / 3600)} h`
  return `in ${Math.round(s / 86400)} d`
}
