// The deploy form into an environment reached only by promotion asks for a break-glass reason.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { DeployForm } from './Deploy'
import { SessionContext, type Session } from '../session'

const session: Session = {
  me: { name: 'admin', createProjects: true, readPlatform: true },
  environments: [{ name: 'test', minScale: 0 }, { name: 'prod', minScale: 1, deployVia: 'promotion' }],
  signOut: () => {},
}
const render = (env: string, breakGlass?: boolean) =>
  renderToStaticMarkup(
    <SessionContext.Provider value={session}>
      <DeployForm base="/api/v1/x" env={env} breakGlass={breakGlass} onDeployed={() => {}} />
    </SessionContext.Provider>,
  )

describe('DeployForm', () => {
  it('asks for a break-glass reason where releases come by promotion', () => {
    const html = render('prod', true)
    expect(html).toContain('>Break-glass reason</label>')
    expect(html).toContain('prod is reached by promotion: a direct deploy skips its promotion policy (break-glass)')
  })
  it('asks for none elsewhere', () => {
    expect(render('test')).not.toContain('Break-glass')
  })
})
