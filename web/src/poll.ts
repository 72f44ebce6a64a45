// usePoll keeps a GET fresh: it refetches every interval (ETag: an unchanged answer is a 304),
// pauses while the tab is hidden, keeps the last good data when a poll fails, and reports the
// failure instead of hiding it.
import { useCallback, useEffect, useRef, useState } from 'react'
import { asApiError, get, type ApiError } from './api'

export interface Polled<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  refresh: () => Promise<void>
}

/** revalidate: false polls without If-None-Match (see RequestOptions.revalidate). */
export function usePoll<T>(path: string | null, intervalMs: number, { revalidate = true }: { revalidate?: boolean } = {}): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const current = useRef(path)
  current.current = path

  const load = useCallback(async () => {
    if (!path) return
    try {
      const d = await get<T>(path, { revalidate })
      if (current.current !== path) return
      setData(d)
      setError(undefined)
    } catch (e) {
      if (current.current !== path) return
      setError(asApiError(e))
    } finally {
      if (current.current === path) setLoading(false)
    }
  }, [path, revalidate])

  useEffect(() => {
    setData(undefined)
    setError(undefined)
    setLoading(true)
    if (!path) return
    let stopped = false
    let timer: number | undefined
    const tick = async () => {
      if (document.visibilityState !== 'hidden') await load()
      if (!stopped) timer = window.setTimeout(tick, intervalMs)
    }
    tick()
    const onVisible = () => {
      if (document.visibilityState === 'visible') load()
    }
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      stopped = true
      window.clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [path, intervalMs, load])

  return { data, error, loading, refresh: load }
}
