import { useState, type FormEvent } from 'react'
import { ErrorBanner, Field } from '../components/errors'
import { useSubmit } from '../submit'

export function LoginPage({ onLogin }: { onLogin: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('')
  // Signed in, the console replaces this page: it stays busy until then.
  const { busy, error, run } = useSubmit({ keepBusy: true })

  const submit = (e: FormEvent) => {
    e.preventDefault()
    run(() => onLogin(token.trim()))
  }
  const refused = error && (error.status === 401 || error.status === 403)
  return (
    <main id="content" className="login">
      <h1>Sign in to Slipway</h1>
      <form onSubmit={submit} className="card" aria-label="Sign in">
        <Field
          label="Bearer token"
          errors={refused ? ['This token was not accepted by the cluster (' + error.status + ').'] : []}
          hint={
            <>
              A Kubernetes token the cluster accepts (ServiceAccount, OIDC, static). In the dev stack:{' '}
              <code>.dev/tokens/admin</code> or <code>.dev/tokens/user</code>. It is kept only in this tab.
            </>
          }
        >
          {(p) => (
            <input
              {...p}
              name="token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
              autoFocus
            />
          )}
        </Field>
        {error && !refused && <ErrorBanner error={error} prefix="Sign-in failed" />}
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
