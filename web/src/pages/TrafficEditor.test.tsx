// The traffic editor rendered (server-side, no DOM needed): its total and its save button
// follow the arithmetic.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { TrafficEditor } from './TrafficEditor'
import type { AppStatus, Revision } from '../schema'

const status = (traffic: AppStatus['traffic']): AppStatus => ({
  project: 'p', app: 'hello', env: 'test', namespace: 'p-test', ready: true, image: 'dev.local/hello:v2',
  traffic, servedTraffic: [], hosts: [], routing: { rules: [], percentages: traffic },
})
const revs: Revision[] = ['hello-00001', 'hello-00002'].map((name) => ({ name, image: 'x', created: '', deployedBy: 'me', ready: true, percent: 0 }))

const render = (traffic: AppStatus['traffic'], readOnly = false) =>
  renderToStaticMarkup(<TrafficEditor status={status(traffic)} revisions={revs} base="/api/v1/x" readOnly={readOnly} onSaved={() => {}} />)

describe('TrafficEditor', () => {
  it('shows a split of 100 as complete and lets it be saved', () => {
    const html = render([{ revision: 'hello-00001', percent: 80 }, { revision: 'hello-00002', percent: 20 }])
    expect(html).toContain('Total is 100%.')
    expect(html).toMatch(/<button type="submit" class="primary">Save split<\/button>/)
    expect(html).toContain('aria-label="Proposed traffic: hello-00001 80%, hello-00002 20%"')
  })
  it('disables saving and explains a split that does not sum to 100', () => {
    const html = render([{ revision: 'hello-00001', percent: 70 }, { revision: 'hello-00002', percent: 20 }])
    expect(html).toContain('Total is 90%: 10% still to assign')
    expect(html).toMatch(/<button type="submit" class="primary" disabled="">Save split<\/button>/)
  })
  it('labels every control', () => {
    const html = render([{ revision: 'hello-00001', percent: 100 }])
    for (const label of ['Revision 1', 'Percent 1', 'Tag 1', 'Canary revision', 'Message']) expect(html).toContain(`>${label}</label>`)
  })
  it('offers no editing when read-only', () => {
    const html = render([{ revision: 'hello-00001', percent: 100 }], true)
    expect(html).not.toContain('Save split')
    expect(html).toContain('<fieldset disabled=""')
  })
})
