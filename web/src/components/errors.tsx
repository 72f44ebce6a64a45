import { useId, type ReactNode } from 'react'
import type { ApiError } from '../api'
import type { FieldError } from '../schema'
import { until, when } from '../format'
import { refusal } from '../promotion'

/** fieldMessages are the API's errors for path and, with children, for anything under it. */
export function fieldMessages(err: ApiError | undefined, path: string, children = false): string[] {
  if (!err) return []
  return err.fieldErrors
    .filter((f: FieldError) => f.field === path || (children && (f.field.startsWith(path + '.') || f.field.startsWith(path + '['))))
    .map((f) => f.message)
}

/**
 * ErrorBanner shows a failed call: a network failure, or the problem's title and detail, the
 * policy rule that refused it (with the next opening of a time rule) and each field error
 * (fields with an input also show theirs beside it).
 */
export function ErrorBanner({ error, prefix, now }: { error?: ApiError; prefix?: string; now?: number }) {
  if (!error) return null
  const r = refusal(error)
  return (
    <div className="banner error" role="alert" data-rule={r?.rule}>
      <strong>{prefix ? prefix + ': ' : ''}{error.network ? 'Network error' : error.problem?.title ?? 'Request failed'}</strong>
      <div>{error.network ? error.message : error.problem?.detail ?? (error.problem ? '' : error.message)}</div>
      {r && (
        <div className="refusal" data-testid="refusal">
          Refused by rule <code>{r.rule}</code>
          {r.explanation ? `: ${r.explanation}.` : '.'}
          {r.nextOpening && (
            <div data-testid="next-opening">
              Next opening:{' '}
              <time dateTime={r.nextOpening}>
                {when(r.nextOpening)} ({until(r.nextOpening, now)})
              </time>
            </div>
          )}
        </div>
      )}
      {error.fieldErrors.length > 0 && (
        <ul className="field-list">
          {error.fieldErrors.map((f, i) => (
            <li key={i}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

interface FieldProps {
  label: string
  /** errors shown under the control and tied to it with aria-describedby. */
  errors?: string[]
  hint?: ReactNode
  children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode
  className?: string
}

/** Field is a labelled control with its hint and errors. */
export function Field({ label, errors = [], hint, children, className }: FieldProps) {
  const id = useId()
  const hintId = hint ? id + '-hint' : undefined
  const errId = errors.length ? id + '-err' : undefined
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined
  return (
    <div className={'field' + (className ? ' ' + className : '') + (errors.length ? ' invalid' : '')}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': errors.length ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <div className="hint" id={hintId}>
          {hint}
        </div>
      )}
      {errors.length > 0 && (
        <div className="field-error" id={errId} role="alert">
          {errors.join('; ')}
        </div>
      )}
    </div>
  )
}
