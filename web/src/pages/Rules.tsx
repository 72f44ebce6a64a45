import { useState, type FormEvent } from 'react'
import { put } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { newestFirst } from '../format'
import { useSubmit } from '../submit'
import type { Rule, TrafficRequest, TrafficResult } from '../schema'
import type { EditorProps } from './TrafficEditor'

type Op = 'exact' | 'prefix' | 'regex'
interface Cond {
  key: number
  name: string
  op: Op
  value: string
}
interface EditRule {
  key: number
  revision: string
  kind: 'headers' | 'cookie'
  conds: Cond[]
  cookieName: string
  cookieValue: string
}

let n = 0
const key = () => ++n

function fromRules(rules: Rule[]): EditRule[] {
  return rules.map((r) => ({
    key: key(),
    revision: r.revision,
    kind: r.match.cookie && !r.match.headers ? 'cookie' : 'headers',
    conds: Object.entries(r.match.headers ?? {}).map(([name, m]) => {
      const op: Op = m.regex !== undefined ? 'regex' : m.prefix !== undefined ? 'prefix' : 'exact'
      return { key: key(), name, op, value: m[op] ?? '' }
    }),
    cookieName: r.match.cookie?.name ?? '',
    cookieValue: r.match.cookie?.value ?? '',
  }))
}

function toRules(rules: EditRule[]): Rule[] {
  return rules.map((r) => {
    if (r.kind === 'cookie') return { revision: r.revision, match: { cookie: { name: r.cookieName.trim(), value: r.cookieValue } } }
    const headers: Rule['match']['headers'] = {}
    for (const c of r.conds) headers[c.name.trim().toLowerCase()] = { [c.op]: c.value }
    return { revision: r.revision, match: { headers } }
  })
}

function describe(r: Rule): string {
  const parts = Object.entries(r.match.headers ?? {}).map(([h, m]) =>
    m.exact !== undefined ? `${h} = "${m.exact}"` : m.prefix !== undefined ? `${h} starts with "${m.prefix}"` : `${h} ~ /${m.regex}/`,
  )
  if (r.match.cookie) parts.push(`cookie ${r.match.cookie.name} = "${r.match.cookie.value}"`)
  return parts.join(' and ')
}

export function RulesEditor({ status, revisions, base, readOnly, onSaved }: EditorProps) {
  const [rules, setRules] = useState<EditRule[]>(() => fromRules(status.rules ?? []))
  const [message, setMessage] = useState('')
  const { busy, error, run } = useSubmit()
  const names = newestFirst(revisions).map((r) => r.name)
  const upd = (k: number, patch: Partial<EditRule>) => setRules(rules.map((r) => (r.key === k ? { ...r, ...patch } : r)))
  const updCond = (r: EditRule, c: Cond, patch: Partial<Cond>) => upd(r.key, { conds: r.conds.map((x) => (x.key === c.key ? { ...x, ...patch } : x)) })
  const move = (i: number, d: number) => {
    const out = [...rules]
    ;[out[i], out[i + d]] = [out[i + d], out[i]]
    setRules(out)
  }
  const localErrors = rules.map((r) => {
    const e: string[] = []
    if (!r.revision) e.push('choose a revision')
    if (r.kind === 'headers') {
      if (r.conds.length === 0) e.push('add at least one header condition')
      const seen = new Set<string>()
      for (const c of r.conds) {
        const h = c.name.trim().toLowerCase()
        if (!h) e.push('every condition needs a header name')
        else if (seen.has(h)) e.push(`header ${h} appears twice`)
        seen.add(h)
      }
    } else if (!r.cookieName.trim()) e.push('the cookie needs a name')
    return e
  })
  const ok = localErrors.every((e) => e.length === 0)

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!ok) return
    run(async () => {
      // The percentage split is part of the same request: sent as it is, it is kept.
      await put<TrafficResult>(base + '/traffic', { targets: status.traffic, rules: toRules(rules), message: message.trim() || undefined } satisfies TrafficRequest)
      onSaved()
    })
  }

  return (
    <form className="form rules" onSubmit={submit} aria-label="Header rules" noValidate>
      <h2>Header rules</h2>
      <p className="hint">
        Requests matching a rule go to its revision, whatever the percentages; the first matching rule wins. Every other request follows
        the traffic split.
      </p>
      {(status.rules ?? []).length > 0 && (
        <ol className="current-rules" aria-label="Rules in force">
          {(status.rules ?? []).map((r, i) => (
            <li key={i}>
              {describe(r)} → <strong>{r.revision}</strong>
            </li>
          ))}
        </ol>
      )}
      {rules.length === 0 && <p className="muted">No rules.</p>}
      <fieldset disabled={readOnly}>
        <legend className="sr-only">Rules</legend>
        {rules.map((r, i) => (
          <div className="card rule" key={r.key} role="group" aria-label={`Rule ${i + 1}`}>
            <div className="rule-head">
              <h3>Rule {i + 1}</h3>
              {!readOnly && (
                <div className="row-actions">
                  <button type="button" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move rule ${i + 1} up`}>
                    ↑
                  </button>
                  <button type="button" disabled={i === rules.length - 1} onClick={() => move(i, 1)} aria-label={`Move rule ${i + 1} down`}>
                    ↓
                  </button>
                  <button type="button" className="remove" onClick={() => setRules(rules.filter((x) => x.key !== r.key))} aria-label={`Remove rule ${i + 1}`}>
                    Remove
                  </button>
                </div>
              )}
            </div>
            <div className="row">
              <Field label={`Rule ${i + 1} revision`} errors={fieldMessages(error, `rules[${i}].revision`)}>
                {(p) => (
                  <select {...p} value={r.revision} onChange={(e) => upd(r.key, { revision: e.target.value })}>
                    <option value="">Choose…</option>
                    {names.map((nm) => (
                      <option key={nm}>{nm}</option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={`Rule ${i + 1} matches`}>
                {(p) => (
                  <select {...p} value={r.kind} onChange={(e) => upd(r.key, { kind: e.target.value as EditRule['kind'] })}>
                    <option value="headers">headers</option>
                    <option value="cookie">a cookie</option>
                  </select>
                )}
              </Field>
            </div>
            {r.kind === 'headers' &&
              r.conds.map((c, j) => (
                <div className="row" key={c.key}>
                  <Field label={`Header ${j + 1}`}>{(p) => <input {...p} value={c.name} onChange={(e) => updCond(r, c, { name: e.target.value })} spellCheck={false} />}</Field>
                  <Field label={`Condition ${j + 1}`}>
                    {(p) => (
                      <select {...p} value={c.op} onChange={(e) => updCond(r, c, { op: e.target.value as Op })}>
                        <option value="exact">equals</option>
                        <option value="prefix">starts with</option>
                        <option value="regex">matches regex (RE2)</option>
                      </select>
                    )}
                  </Field>
                  <Field label={`Value ${j + 1}`} errors={fieldMessages(error, `rules[${i}].match.headers[${c.name.trim().toLowerCase()}]`, true)}>
                    {(p) => <input {...p} value={c.value} onChange={(e) => updCond(r, c, { value: e.target.value })} spellCheck={false} />}
                  </Field>
                  {!readOnly && (
                    <button type="button" className="remove" onClick={() => upd(r.key, { conds: r.conds.filter((x) => x.key !== c.key) })} aria-label={`Remove header ${j + 1} of rule ${i + 1}`}>
                      Remove
                    </button>
                  )}
                </div>
              ))}
            {r.kind === 'headers' && !readOnly && (
              <button type="button" onClick={() => upd(r.key, { conds: [...r.conds, { key: key(), name: '', op: 'exact', value: '' }] })}>
                Add header condition
              </button>
            )}
            {r.kind === 'cookie' && (
              <div className="row">
                <Field label="Cookie name" errors={fieldMessages(error, `rules[${i}].match.cookie.name`)}>
                  {(p) => <input {...p} value={r.cookieName} onChange={(e) => upd(r.key, { cookieName: e.target.value })} />}
                </Field>
                <Field label="Cookie value" errors={fieldMessages(error, `rules[${i}].match.cookie.value`)}>
                  {(p) => <input {...p} value={r.cookieValue} onChange={(e) => upd(r.key, { cookieValue: e.target.value })} />}
                </Field>
              </div>
            )}
            {[...localErrors[i], ...fieldMessages(error, `rules[${i}]`), ...fieldMessages(error, `rules[${i}].match`)].length > 0 && (
              <div className="field-error" role="alert">
                {[...localErrors[i], ...fieldMessages(error, `rules[${i}]`), ...fieldMessages(error, `rules[${i}].match`)].join('; ')}
              </div>
            )}
          </div>
        ))}
      </fieldset>
      {!readOnly && (
        <>
          <button type="button" onClick={() => setRules([...rules, { key: key(), revision: '', kind: 'headers', conds: [{ key: key(), name: 'x-user-group', op: 'exact', value: '' }], cookieName: '', cookieValue: '' }])}>
            Add rule
          </button>
          <Field label="Message" hint="Recorded in the history.">
            {(p) => <input {...p} value={message} onChange={(e) => setMessage(e.target.value)} />}
          </Field>
          <ErrorBanner error={error} prefix="Rules refused" />
          <button type="submit" className="primary" disabled={busy || !ok}>
            {busy ? 'Saving…' : 'Save rules'}
          </button>
        </>
      )}
    </form>
  )
}
