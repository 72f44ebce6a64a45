// The wire shapes of platform-api's REST API (see /api/v1/openapi.json).

export interface Me {
  name: string
  groups?: string[]
  createProjects: boolean
  readPlatform: boolean
}

export interface EnvAccess {
  read: boolean
  change: boolean
  delete: boolean
  /** startRuns (start, retry) and changeRuns (cancel); older platform-apis omit them and
   * the console falls back to change. */
  startRuns?: boolean
  changeRuns?: boolean
  /** Every environment-scope action of Slipway's action table by name (docs/security.md),
   * e.g. deploy, setTraffic, approveRuns; older platform-apis omit it. */
  actions?: Record<string, boolean>
}

export interface ProjectAccess {
  manageMembers: boolean
  envs: Record<string, EnvAccess>
}

export interface Environment {
  name: string
  description?: string
  minScale: number
  maxScale?: number
}

export interface Project {
  name: string
  namespaces: Record<string, string>
}

export interface Member {
  kind: string
  name: string
  role: string
}

export interface Target {
  revision?: string
  latest?: boolean
  percent: number
  tag?: string
}

export interface StringMatch {
  exact?: string
  prefix?: string
  regex?: string
}

export interface Match {
  headers?: Record<string, StringMatch>
  cookie?: { name: string; value: string }
}

export interface Rule {
  match: Match
  lane?: string
  revision: string
}

export interface ServedTarget {
  revision: string
  percent: number
  tag?: string
  url?: string
}

export interface LogPath {
  path: string
  container?: string
  name?: string
}

export interface Host {
  host: string
  tag?: string
}

export interface AppStatus {
  project: string
  app: string
  env: string
  namespace: string
  url?: string
  ready: boolean
  reason?: string
  latestCreatedRevision?: string
  latestReadyRevision?: string
  image: string
  logPaths?: LogPath[]
  traffic: Target[]
  servedTraffic: ServedTarget[]
  rules?: Rule[]
  revisions?: string[]
  hosts: Host[]
}

export interface AppSummary {
  name: string
  envs: Record<string, AppStatus>
}

export interface Revision {
  name: string
  image: string
  created: string
  deployedBy: string
  message?: string
  ready: boolean
  reason?: string
  percent: number
  tags?: string[]
  logPaths?: LogPath[]
  /** source is the pipeline run that deployed the revision, and the commit it was built from. */
  source?: Source
}

export interface Source {
  pipelineRun: string
  commit: string
}

export interface HistoryEntry {
  time: string
  user: string
  action: 'deploy' | 'traffic' | 'rollback' | string
  revision?: string
  image?: string
  message?: string
  traffic: Target[]
  source?: Source
}

export interface DeployRequest {
  image: string
  port?: number
  env?: { name: string; value: string }[]
  scaling?: { minScale?: number; maxScale?: number; target?: number }
  strategy?: { type: 'replace' | 'canary' | 'header'; percent?: number; match?: Match; lane?: string; tag?: string }
  message?: string
  logPaths?: LogPath[]
}

export interface DeployResult {
  revision: string
  image: string
  traffic: Target[]
  rules?: Rule[]
}

export interface TrafficResult {
  traffic: Target[]
  rules?: Rule[]
}

// Pipelines (pkg/pipelines, pkg/apps/pipelines.go).

export const STAGE_POINTS = ['before-build', 'after-build', 'before-deploy', 'after-deploy', 'replace-build'] as const
export type StagePoint = (typeof STAGE_POINTS)[number]

export interface Stage {
  name: string
  at: StagePoint | string
  approval?: boolean
  template?: Record<string, unknown>
}

export interface Pipeline {
  repo: string
  branch?: string
  contextDir?: string
  dockerfile?: string
  stages?: Stage[]
}

export interface Hook {
  url: string
  branch: string
  /** token and secret come only from rotate, once. */
  token?: string
  secret?: string
}

export type RunPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error'
export type StepPhase = RunPhase | 'Skipped' | 'Omitted'

export interface Step {
  name: string
  kind: 'step' | 'approval' | string
  phase: StepPhase | string
  message?: string
  started?: string
  finished?: string
  nodeID?: string
}

export interface Run {
  name: string
  project?: string
  app?: string
  env?: string
  trigger: 'manual' | 'hook' | 'retry' | string
  startedBy: string
  branch?: string
  revision: string
  commit?: string
  retryOf?: string
  phase: RunPhase | string
  message?: string
  created: string
  started?: string
  finished?: string
  awaitingApproval?: string
  /** Someone asked Argo to stop the run; its controller ends it. */
  cancelRequested?: boolean
  steps: Step[]
}
