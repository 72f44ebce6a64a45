// The traffic editor's arithmetic, apart from React so it is tested on its own
// (traffic.test.ts). Percentages are whole numbers that must sum to exactly 100, as the API
// requires; splits use the largest-remainder method, as platform-api's canary does, so what
// the editor proposes is what the server would compute.
import type { Target } from './schema'

export interface Row {
  /** key identifies the row for React across edits. */
  key: number
  /** revision is empty when latest is set. */
  revision: string
  latest: boolean
  /** percent is the input's text, so a half-typed value is not lost. */
  percent: string
  tag: string
}

export interface RowErrors {
  revision?: string
  percent?: string
  tag?: string
}

export interface Validation {
  ok: boolean
  sum: number
  rows: RowErrors[]
  /** total explains why the sum is wrong; undefined when it is 100. */
  total?: string
  /** form is for errors of the whole list (no rows, duplicates). */
  form?: string
}

let nextKey = 1
export function newRow(init: Partial<Omit<Row, 'key'>> = {}): Row {
  return { key: nextKey++, revision: '', latest: false, percent: '0', tag: '', ...init }
}

/** parsePercent reads a whole percentage 0–100, or null. */
export function parsePercent(text: string): number | null {
  const t = text.trim()
  if (!/^\d{1,3}$/.test(t)) return null
  const n = Number(t)
  return n <= 100 ? n : null
}

export function sum(rows: Row[]): number {
  return rows.reduce((s, r) => s + (parsePercent(r.percent) ?? 0), 0)
}

const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/

/** tagError mirrors the API's check: a DNS-1035 label of at most 20 characters. */
export function tagError(tag: string): string | undefined {
  if (tag === '') return undefined
  if (tag.length > 20) return 'at most 20 characters'
  if (!dns1035.test(tag)) return 'lower-case letters, digits and "-", starting with a letter, not ending with "-"'
  return undefined
}

export function validate(rows: Row[], known: Set<string>): Validation {
  const errs: RowErrors[] = rows.map(() => ({}))
  const tags = new Map<string, number>()
  const seen = new Map<string, number>()
  let form: string | undefined
  rows.forEach((r, i) => {
    if (!r.latest && r.revision === '') errs[i].revision = 'choose a revision'
    else if (!r.latest && !known.has(r.revision)) errs[i].revision = `revision ${r.revision} does not exist`
    if (parsePercent(r.percent) === null) errs[i].percent = 'a whole number from 0 to 100'
    const te = tagError(r.tag)
    if (te) errs[i].tag = te
    else if (r.tag !== '') {
      if (tags.has(r.tag)) errs[i].tag = `tag ${r.tag} is used twice`
      tags.set(r.tag, i)
    }
    const key = (r.latest ? 'latest' : r.revision) + '|' + r.tag
    if (!errs[i].revision && seen.has(key)) {
      errs[i].revision = 'this revision appears twice; give one of them a distinct tag'
    }
    seen.set(key, i)
  })
  if (rows.length === 0) form = 'at least one target is needed'
  const total = sum(rows)
  let totalMsg: string | undefined
  if (total < 100) totalMsg = `Total is ${total}%: ${100 - total}% still to assign (must be exactly 100%)`
  else if (total > 100) totalMsg = `Total is ${total}%: ${total - 100}% too much (must be exactly 100%)`
  const ok = !form && !totalMsg && errs.every((e) => !e.revision && !e.percent && !e.tag)
  return { ok, sum: total, rows: errs, total: totalMsg, form }
}

/**
 * largestRemainder splits total in proportion to weights into whole numbers that add up to
 * total exactly; ties go to the earlier weight. All-zero weights split evenly.
 */
export function largestRemainder(weights: number[], total: number): number[] {
  if (weights.length === 0) return []
  const w = weights.map((x) => Math.max(0, x))
  let sumW = w.reduce((a, b) => a + b, 0)
  if (sumW === 0) {
    w.fill(1)
    sumW = w.length
  }
  const exact = w.map((x) => (x * total) / sumW)
  const out = exact.map(Math.floor)
  let left = total - out.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i)
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k].i]++
  return out
}

/** splitEvenly gives every row an equal share (the first rows take the remainder). */
export function splitEvenly(rows: Row[]): Row[] {
  const shares = largestRemainder(rows.map(() => 1), 100)
  return rows.map((r, i) => ({ ...r, percent: String(shares[i]) }))
}

/** fillRest gives row i whatever the other rows leave of 100 (0 when they already exceed it). */
export function fillRest(rows: Row[], i: number): Row[] {
  const others = sum(rows.filter((_, j) => j !== i))
  return rows.map((r, j) => (j === i ? { ...r, percent: String(Math.min(100, Math.max(0, 100 - others))) } : r))
}

/**
 * setKeepingTotal sets row i to value and rescales the other rows, in proportion to their
 * current shares, so the total stays 100.
 */
export function setKeepingTotal(rows: Row[], i: number, value: number): Row[] {
  const v = Math.min(100, Math.max(0, Math.round(value)))
  const others = rows.map((r, j) => (j === i ? -1 : parsePercent(r.percent) ?? 0))
  const idx = others.map((_, j) => j).filter((j) => j !== i)
  if (idx.length === 0) return rows.map((r) => ({ ...r, percent: '100' }))
  const shares = largestRemainder(idx.map((j) => others[j]), 100 - v)
  return rows.map((r, j) => (j === i ? { ...r, percent: String(v) } : { ...r, percent: String(shares[idx.indexOf(j)]) }))
}

/**
 * canary makes room for percent on revision: the current shares are scaled down to
 * 100 − percent (largest remainder) and revision gets percent. 0% tag-only rows are kept.
 */
export function canary(rows: Row[], revision: string, percent: number): Row[] {
  const p = Math.min(100, Math.max(0, Math.round(percent)))
  const existing = rows.filter((r) => !r.latest && r.revision === revision && r.tag === '')
  const rest = rows.filter((r) => !existing.includes(r))
  const sharing = rest.map((r, i) => ({ r, i })).filter(({ r }) => (parsePercent(r.percent) ?? 0) > 0)
  const scaled = largestRemainder(sharing.map(({ r }) => parsePercent(r.percent) ?? 0), 100 - p)
  const out = rest.map((r) => ({ ...r }))
  sharing.forEach(({ i }, k) => (out[i].percent = String(scaled[k])))
  if (sharing.length === 0 && p < 100) return [...out, newRow({ revision, percent: '100' })]
  return [...out, existing[0] ? { ...existing[0], percent: String(p) } : newRow({ revision, percent: String(p) })]
}

export function fromTargets(targets: Target[]): Row[] {
  return targets.map((t) =>
    newRow({ revision: t.latest ? '' : t.revision ?? '', latest: !!t.latest, percent: String(t.percent), tag: t.tag ?? '' }),
  )
}

export function toTargets(rows: Row[]): Target[] {
  return rows.map((r) => {
    const t: Target = r.latest ? { latest: true, percent: parsePercent(r.percent) ?? 0 } : { revision: r.revision, percent: parsePercent(r.percent) ?? 0 }
    if (r.tag) t.tag = r.tag
    return t
  })
}

/** shares turns targets into the slices a traffic bar draws (0% targets left out). */
export function shares(targets: Target[]): { label: string; percent: number; tag?: string }[] {
  return targets
    .filter((t) => t.percent > 0)
    .map((t) => ({ label: t.latest ? 'latest' : t.revision ?? '?', percent: t.percent, tag: t.tag }))
}
