// useSubmit is what every form and action button does with its API call: busy while it runs
// (one call at a time), the previous error cleared, a failure kept as an ApiError for the
// ErrorBanner and the fields' messages.
import { useCallback, useState } from 'react'
import { asApiError, type ApiError } from './api'

export interface SubmitOptions {
  /**
   * keepBusy leaves busy set after a success: the form is about to go away (the caller
   * navigates), and must not be sent twice meanwhile. A failure always clears busy.
   */
  keepBusy?: boolean
}

export interface Submit<K> {
  /** busy is true while a call runs (and, with keepBusy, after one succeeded). */
  busy: boolean
  /** pending is the key run was given for the call under way, undefined when idle. */
  pending: K | undefined
  error: ApiError | undefined
  /** setError shows an error found without a call (a local check) or clears one. */
  setError: (e: ApiError | undefined) => void
  /** run calls fn; what it throws ends up in error. It never rejects. */
  run: (fn: () => Promise<unknown>, key?: K) => Promise<void>
}

/** useSubmit keeps one call's busy state and error; K names the call under way (Run: approve, cancel, retry). */
export function useSubmit<K = true>(opts: SubmitOptions = {}): Submit<K> {
  const [pending, setPending] = useState<K | undefined>(undefined)
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const keepBusy = !!opts.keepBusy
  const run = useCallback(
    (fn: () => Promise<unknown>, key: K = true as K) => submitting(key, fn, { pending: setPending, error: setError }, keepBusy),
    [keepBusy],
  )
  return { busy: pending !== undefined, pending, error, setError, run }
}

export interface SubmitState<K> {
  pending: (k: K | undefined) => void
  error: (e: ApiError | undefined) => void
}

/** submitting is useSubmit's sequence on plain setters (the hook's state, or a test's). */
export async function submitting<K>(key: K, fn: () => Promise<unknown>, set: SubmitState<K>, keepBusy = false): Promise<void> {
  set.pending(key)
  set.error(undefined)
  try {
    await fn()
  } catch (e) {
    set.error(asApiError(e))
    set.pending(undefined)
    return
  }
  if (!keepBusy) set.pending(undefined)
}
