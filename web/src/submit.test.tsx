// useSubmit's sequence (submitting, on recorded setters) and the hook's idle state.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { ApiError } from './api'
import { submitting, useSubmit, type SubmitState } from './submit'

function recorder<K>() {
  const calls: string[] = []
  const seen: { error?: ApiError } = {}
  const set: SubmitState<K> = {
    pending: (k) => calls.push(k === undefined ? 'idle' : `busy ${String(k)}`),
    error: (e) => {
      seen.error = e
      calls.push(e === undefined ? 'no error' : `error ${e.status} ${e.message}`)
    },
  }
  return { calls, seen, set }
}

describe('submitting', () => {
  it('is busy while the call runs, clears the last error first, and is idle after a success', async () => {
    const { calls, set } = recorder<true>()
    await submitting(true, async () => void calls.push('call'), set)
    expect(calls).toEqual(['busy true', 'no error', 'call', 'idle'])
  })

  it('keeps the failure as an ApiError and is idle again', async () => {
    const { calls, seen, set } = recorder<true>()
    const refused = new ApiError('Unprocessable', 422, { type: 'about:blank', title: 'Unprocessable', status: 422, errors: [{ field: 'name', message: 'required' }] })
    await submitting(true, () => Promise.reject(refused), set)
    expect(calls).toEqual(['busy true', 'no error', 'error 422 Unprocessable', 'idle'])
    expect(seen.error).toBe(refused)
    expect(seen.error?.fieldErrors).toEqual([{ field: 'name', message: 'required' }])
  })

  it('turns anything else thrown into an ApiError', async () => {
    const { calls, seen, set } = recorder<true>()
    await submitting(true, () => Promise.reject(new Error('boom')), set)
    expect(calls).toEqual(['busy true', 'no error', 'error 0 boom', 'idle'])
    expect(seen.error).toBeInstanceOf(ApiError)
  })

  it('with keepBusy stays busy after a success but not after a failure', async () => {
    const ok = recorder<true>()
    await submitting(true, async () => {}, ok.set, true)
    expect(ok.calls).toEqual(['busy true', 'no error'])
    const failed = recorder<true>()
    await submitting(true, () => Promise.reject(new Error('no')), failed.set, true)
    expect(failed.calls).toEqual(['busy true', 'no error', 'error 0 no', 'idle'])
  })

  it('names the call under way by its key', async () => {
    const { calls, set } = recorder<'approve' | 'cancel'>()
    await submitting('cancel', async () => {}, set)
    expect(calls).toEqual(['busy cancel', 'no error', 'idle'])
  })
})

describe('useSubmit', () => {
  it('starts idle, without an error', () => {
    function Probe() {
      const s = useSubmit<'approve'>()
      return <p>{`${s.busy} ${String(s.pending)} ${String(s.error)} ${typeof s.run}`}</p>
    }
    expect(renderToStaticMarkup(<Probe />)).toBe('<p>false undefined undefined function</p>')
  })
})
