import { useCallback, useEffect, useState } from 'react'
import { asApiError, get, getToken, onUnauthorized, setToken, type ApiError } from './api'
import { Link, navigate, useLocation } from './router'
import { findRoute } from './routes'
import { SessionContext, type Session } from './session'
import type { Environment, Me } from './schema'
import { LoginPage } from './pages/Login'
import { ErrorBanner } from './components/errors'

export function App() {
  const loc = useLocation()
  const [session, setSession] = useState<Session | null>(null)
  const [error, setError] = useState<ApiError | undefined>()
  const [checking, setChecking] = useState(!!getToken())

  const signOut = useCallback(() => {
    setToken(null)
    setSession(null)
    navigate('/login', { replace: true })
  }, [])

  const start = useCallback(
    async (token: string) => {
      const me = await get<Me>('/api/v1/me', { tokenOverride: token })
      setToken(token)
      const environments = await get<Environment[]>('/api/v1/environments')
      setSession({ me, environments, signOut })
    },
    [signOut],
  )

  // A stored token (this tab, earlier) is checked once on load.
  useEffect(() => {
    const t = getToken()
    if (!t) return
    start(t)
      .catch((e) => {
        const err = asApiError(e)
        if (err.status === 401) setToken(null)
        else setError(err)
      })
      .finally(() => setChecking(false))
  }, [start])

  useEffect(
    () =>
      onUnauthorized(() => {
        setToken(null)
        setSession(null)
      }),
    [],
  )

  if (checking) return <p className="loading">Checking your token…</p>
  if (!session) {
    if (error) {
      return (
        <main id="content" className="login">
          <ErrorBanner error={error} prefix="Could not start the console" />
          <button onClick={() => location.reload()}>Try again</button>
        </main>
      )
    }
    const next = loc.pathname === '/login' ? loc.search.get('next') ?? '/' : loc.pathname + location.search
    return (
      <LoginPage
        onLogin={async (t) => {
          await start(t)
          navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true })
        }}
      />
    )
  }
  if (loc.pathname === '/login') return <Redirect to={loc.search.get('next') ?? '/'} />
  const found = findRoute(loc.pathname)
  return (
    <SessionContext.Provider value={session}>
      <DocumentTitle text={found ? found.route.title(found.params) : 'Not found'} />
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Slipway
        </Link>
        <span className="spacer" />
        <span className="who" title={(session.me.groups ?? []).join(', ')}>
          Signed in as <strong>{session.me.name}</strong>
        </span>
        <button className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {found ? found.route.page(found.params) : <NotFound />}
      </main>
    </SessionContext.Provider>
  )
}

function DocumentTitle({ text }: { text: string }) {
  useEffect(() => {
    document.title = `${text} · Slipway`
  }, [text])
  return null
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to.startsWith('/') && !to.startsWith('//') ? to : '/', { replace: true }), [to])
  return null
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to projects</Link>
      </p>
    </section>
  )
}
