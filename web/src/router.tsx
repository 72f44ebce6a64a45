// A small history-API router: the route table (routes.tsx) is data, so a page is one entry.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react'

const listeners = new Set<() => void>()

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === location.pathname + location.search) return
  if (opts.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  listeners.forEach((fn) => fn())
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn()))

export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0)
  useEffect(() => {
    const fn = () => setTick((n) => n + 1)
    listeners.add(fn)
    return () => {
      listeners.delete(fn)
    }
  }, [])
  return { pathname: location.pathname, search: new URLSearchParams(location.search) }
}

/** match returns the parameters of pattern ("/projects/:project") in pathname, or null. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = pathname.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i])
      } catch {
        return null
      }
    } else if (p[i] !== s[i]) return null
  }
  return params
}

/** href builds a path from segments, escaping each. */
export function href(...segments: string[]): string {
  return '/' + segments.map(encodeURIComponent).join('/')
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }

/** Link is a real <a href> (middle-click, copy link work) that navigates in place. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return <a href={to} onClick={click} {...rest} />
}
