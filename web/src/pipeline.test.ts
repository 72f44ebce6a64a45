import { describe, expect, it } from 'vitest'
import { duration, elapsed, finished, fromForm, phaseClass, runCommit, shortSha, toForm, type PipelineForm } from './pipeline'

describe('phases', () => {
  it('classes and finality', () => {
    expect(phaseClass('Succeeded')).toBe('ok')
    expect(phaseClass('Failed')).toBe('bad')
    expect(phaseClass('Error')).toBe('bad')
    expect(phaseClass('Running')).toBe('running')
    expect(phaseClass('Pending')).toBe('pending')
    expect(phaseClass('Skipped')).toBe('skipped')
    expect(phaseClass('Omitted')).toBe('skipped')
    expect(['Pending', 'Running', 'Succeeded', 'Failed', 'Error'].map(finished)).toEqual([false, false, true, true, true])
  })
})

describe('durations', () => {
  it('formats', () => {
    expect(duration(850)).toBe('850 ms')
    expect(duration(42_400)).toBe('42 s')
    expect(duration(185_000)).toBe('3 min 05 s')
    expect(duration(3_720_000)).toBe('1 h 02 min')
    expect(duration(-1)).toBe('')
  })
  it('elapsed: finished, running, not started', () => {
    const started = '2026-12-01T10:00:00Z'
    expect(elapsed({ started, finished: '2026-12-01T10:01:30Z' })).toBe('1 min 30 s')
    expect(elapsed({ started }, Date.parse('2026-12-01T10:00:12Z'))).toBe('12 s so far')
    expect(elapsed({})).toBe('')
  })
})

describe('commits', () => {
  it('shortens full SHAs only', () => {
    expect(shortSha('0123456789abcdef0123456789abcdef01234567')).toBe('0123456')
    expect(shortSha('main')).toBe('main')
    expect(shortSha(undefined)).toBe('')
    expect(runCommit({ revision: 'main', commit: 'abc' })).toBe('abc')
    expect(runCommit({ revision: 'main' })).toBe('main')
  })
})

describe('the stages form', () => {
  const form = (stages: PipelineForm['stages']): PipelineForm => ({ repo: ' https://git.example/a.git ', branch: 'main', contextDir: '', dockerfile: 'Dockerfile', stages })

  it('builds the body: a gate, a template, empty fields left out', () => {
    const { pipeline, errors } = fromForm(
      form([
        { key: 1, name: 'approve ', at: 'before-deploy', kind: 'approval', template: 'ignored' },
        { key: 2, name: 'test', at: 'after-build', kind: 'template', template: '{"name":"test","script":{"image":"alpine","source":"true"}}' },
      ]),
    )
    expect(errors).toEqual([])
    expect(pipeline).toEqual({
      repo: 'https://git.example/a.git',
      branch: 'main',
      dockerfile: 'Dockerfile',
      stages: [
        { name: 'approve', at: 'before-deploy', approval: true },
        { name: 'test', at: 'after-build', template: { name: 'test', script: { image: 'alpine', source: 'true' } } },
      ],
    })
  })

  it('refuses a template that is not a JSON object, naming the stage', () => {
    const { errors } = fromForm(
      form([
        { key: 1, name: 'a', at: 'after-build', kind: 'template', template: '{"name": "a",}' },
        { key: 2, name: 'b', at: 'after-build', kind: 'template', template: '[1, 2]' },
        { key: 3, name: 'c', at: 'after-build', kind: 'template', template: '  ' },
        { key: 4, name: 'd', at: 'after-build', kind: 'template', template: '{"name":"d"}' },
      ]),
    )
    expect(errors.map((e) => e.field)).toEqual(['stages[0].template', 'stages[1].template', 'stages[2].template'])
    expect(errors[0].message).toMatch(/^Not valid JSON/)
    expect(errors[1].message).toMatch(/JSON object/)
    expect(errors[2].message).toMatch(/^Required/)
  })

  it('round-trips a pipeline', () => {
    const p = { repo: 'https://g/x.git', branch: 'dev', contextDir: 'svc', dockerfile: 'Containerfile', stages: [{ name: 'gate', at: 'after-deploy', approval: true }, { name: 't', at: 'replace-build', template: { name: 't', container: { image: 'x' } } }] }
    const f = toForm(p)
    expect(f.stages.map((s) => s.kind)).toEqual(['approval', 'template'])
    expect(fromForm(f)).toEqual({ pipeline: p, errors: [] })
    expect(toForm(undefined)).toMatchObject({ repo: '', branch: 'main', dockerfile: 'Dockerfile', stages: [] })
  })
})
