// Pipelines: phases, durations and the stages form's model (tested in pipeline.test.ts).
import type { FieldError, Pipeline, Run, Stage, Step } from './schema'

const FINISHED = new Set(['Succeeded', 'Failed', 'Error'])

/** finished says whether a run (or step) phase is final. */
export function finished(phase: string): boolean {
  return FINISHED.has(phase)
}

/** phaseClass is the badge class of a run or step phase. */
export function phaseClass(phase: string): string {
  switch (phase) {
    case 'Succeeded':
      return 'ok'
    case 'Failed':
    case 'Error':
      return 'bad'
    case 'Running':
      return 'running'
    case 'Skipped':
    case 'Omitted':
      return 'skipped'
    default:
      return 'pending'
  }
}

/** duration formats milliseconds as "850 ms", "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  const h = Math.floor(m / 60)
  return `${h} h ${String(m % 60).padStart(2, '0')} min`
}

/**
 * elapsed is how long something with started/finished took, or has been going (to now) when
 * it has not finished; '' when it has not started.
 */
export function elapsed(x: Pick<Step, 'started' | 'finished'>, now = Date.now()): string {
  if (!x.started) return ''
  const a = Date.parse(x.started)
  const b = x.finished ? Date.parse(x.finished) : now
  if (Number.isNaN(a) || Number.isNaN(b)) return ''
  return duration(b - a) + (x.finished ? '' : ' so far')
}

/** shortSha shortens a full commit hash to 7 characters; anything else (a branch) stays. */
export function shortSha(s: string | undefined): string {
  if (!s) return ''
  return /^[0-9a-f]{40}$/i.test(s) || /^[0-9a-f]{64}$/i.test(s) ? s.slice(0, 7) : s
}

/** runCommit is what a run built: the cloned commit once known, else what was asked for. */
export function runCommit(r: Pick<Run, 'commit' | 'revision'>): string {
  return r.commit || r.revision || ''
}

/** stepsInOrder returns the steps as the run takes them (the API's order is the plan's). */
export function stepsInOrder(steps: Step[] | undefined): Step[] {
  return steps ?? []
}

// The stages editor.

/**
 * STAGE_POINTS are where a stage can run (pkg/pipelines). The contract's Stage.at is any
 * string (the API names a bad one in its field errors), so the form offers these.
 */
export const STAGE_POINTS = ['before-build', 'after-build', 'before-deploy', 'after-deploy', 'replace-build'] as const

export type StageKind = 'approval' | 'template'

export interface StageRow {
  key: number
  name: string
  at: string
  kind: StageKind
  /** template is the Argo template as JSON text (kind 'template'). */
  template: string
}

export interface PipelineForm {
  repo: string
  branch: string
  contextDir: string
  dockerfile: string
  stages: StageRow[]
}

let k = 0
export const rowKey = () => ++k

export const TEMPLATE_EXAMPLE = JSON.stringify(
  { name: 'test', container: { image: 'golang:1.25', command: ['go', 'test', './...'], workingDir: '/work/src' } },
  null,
  2,
)

export function newStage(): StageRow {
  return { key: rowKey(), name: '', at: 'before-deploy', kind: 'approval', template: '' }
}

/** toForm reads a pipeline (or none) into the form's strings. */
export function toForm(p: Pipeline | undefined): PipelineForm {
  return {
    repo: p?.repo ?? '',
    branch: p?.branch ?? 'main',
    contextDir: p?.contextDir ?? '',
    dockerfile: p?.dockerfile ?? 'Dockerfile',
    stages: (p?.stages ?? []).map((s) => ({
      key: rowKey(),
      name: s.name,
      at: s.at,
      kind: s.template && !s.approval ? 'template' : 'approval',
      template: s.template ? JSON.stringify(s.template, null, 2) : '',
    })),
  }
}

/**
 * fromForm builds the PUT body. Templates must be JSON objects: a template that is not is
 * a field error (stages[i].template) and nothing is sent. Everything else is the API's to
 * check (it names its own fields the same way).
 */
export function fromForm(f: PipelineForm): { pipeline: Pipeline; errors: FieldError[] } {
  const errors: FieldError[] = []
  const stages: Stage[] = f.stages.map((s, i) => {
    const st: Stage = { name: s.name.trim(), at: s.at }
    if (s.kind === 'approval') {
      st.approval = true
      return st
    }
    const field = `stages[${i}].template`
    if (!s.template.trim()) {
      errors.push({ field, message: 'Required: an Argo template as JSON, e.g. {"name": "test", "container": {…}}' })
      return st
    }
    try {
      const v: unknown = JSON.parse(s.template)
      if (v === null || typeof v !== 'object' || Array.isArray(v)) errors.push({ field, message: 'Must be a JSON object (an Argo template)' })
      else st.template = v as Record<string, unknown>
    } catch (e) {
      errors.push({ field, message: `Not valid JSON: ${(e as Error).message}` })
    }
    return st
  })
  const pipeline: Pipeline = { repo: f.repo.trim() }
  if (f.branch.trim()) pipeline.branch = f.branch.trim()
  if (f.contextDir.trim()) pipeline.contextDir = f.contextDir.trim()
  if (f.dockerfile.trim()) pipeline.dockerfile = f.dockerfile.trim()
  if (stages.length) pipeline.stages = stages
  return { pipeline, errors }
}
