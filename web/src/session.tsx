import { createContext, useContext } from 'react'
import type { Environment, Me } from './schema'

export interface Session {
  me: Me
  environments: Environment[]
  signOut: () => void
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a signed-in page')
  return s
}
