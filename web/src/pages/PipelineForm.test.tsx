// The pipeline form rendered (server-side): labelled controls, stages, read-only.
import { describe, expect, it } from 'vitest'
import { renderToStaticMarkup } from 'react-dom/server'
import { PipelineFormView } from './PipelineForm'
import { SourceNote } from '../components/Source'

const current = {
  repo: 'https://git.example/team/hello.git',
  branch: 'main',
  dockerfile: 'Dockerfile',
  stages: [
    { name: 'approve', at: 'before-deploy', approval: true },
    { name: 'test', at: 'after-build', template: { name: 'test', container: { image: 'golang' } } },
  ],
}

describe('PipelineFormView', () => {
  it('renders the pipeline with labelled stage controls', () => {
    const html = renderToStaticMarkup(<PipelineFormView base="/api/v1/x" current={current} readOnly={false} onSaved={() => {}} />)
    expect(html).toContain('value="https://git.example/team/hello.git"')
    for (const label of ['Repository', 'Branch', 'Context directory', 'Dockerfile', 'Stage 1 name', 'Stage 1 runs at', 'Stage 2 Argo template (JSON)']) {
      expect(html).toMatch(new RegExp(`<label for="[^"]+">${label.replace(/[()]/g, '\\$&')}</label>`))
    }
    expect(html).toContain('Stage 1 is an approval gate')
    // Stage 1 is a gate (no template box); stage 2 has its JSON.
    expect(html).not.toContain('Stage 1 Argo template')
    expect(html).toContain('&quot;image&quot;: &quot;golang&quot;')
    for (const pt of ['before-build', 'after-build', 'before-deploy', 'after-deploy', 'replace-build']) expect(html).toContain(`<option value="${pt}"`)
    expect(html).toContain('Save pipeline')
  })

  it('is read-only without the right to change', () => {
    const html = renderToStaticMarkup(<PipelineFormView base="/api/v1/x" current={current} readOnly onSaved={() => {}} />)
    expect(html).not.toContain('Save pipeline')
    expect(html).not.toContain('Add stage')
    expect(html.match(/<fieldset disabled=""/g)).toHaveLength(2)
  })
})

describe('SourceNote', () => {
  it('names the run and the short commit', () => {
    const html = renderToStaticMarkup(<SourceNote source={{ pipelineRun: 'hello-run-abc', commit: '0123456789abcdef0123456789abcdef01234567' }} />)
    expect(html).toContain('deployed by pipeline run <span class="mono">hello-run-abc</span> from commit')
    expect(html).toContain('>0123456</span>')
  })
})
