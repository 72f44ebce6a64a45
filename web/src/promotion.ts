// Promotions in the console, the pure part: the environments along the promotion path, the
// steps between them, a promotion's state and approvals, and the words for a policy's refusal
// (a problem's rule and nextOpening). pages/Promotions.tsx draws them.
import type { ApiError } from './api'
import type { Environment, Promotion, ReleaseView } from './schema'

/**
 * promotionPath orders the environments a release travels through: those the configured
 * path names (GET /promotion-path), in its order; while the path is not known yet, or when
 * none is configured, the environments in display order.
 */
export function promotionPath(envs: Environment[], path?: string[]): Environment[] {
  if (!path?.length) return [...envs]
  return path.map((name) => envs.find((e) => e.name === name)).filter((e): e is Environment => !!e)
}

export interface Step {
  from: Environment
  to: Environment
}

/** steps are the adjacent pairs of the path: from each environment to the next. */
export function steps(path: Environment[]): Step[] {
  return path.slice(1).map((to, i) => ({ from: path[i], to }))
}

/** policyNotes says, in short phrases, how a release gets into env. */
export function policyNotes(env: Environment): string[] {
  const out: string[] = []
  if (env.deployVia === 'promotion') out.push('reached by promotion only')
  const a = env.requireApprovals
  if (a && a.count > 0) {
    let s = a.count === 1 ? '1 approval' : `${a.count} approvals`
    if (a.groups?.length) s += ` from ${a.groups.join(' or ')}`
    if (a.forbidSelfApproval) s += ', not by the requester'
    out.push(s)
  }
  if (env.soak) out.push(`soak ${env.soak} in the previous environment`)
  if (env.windows?.length) out.push(env.windows.length === 1 ? '1 deploy window' : `${env.windows.length} deploy windows`)
  if (env.strategies?.length) out.push(`strategies: ${env.strategies.join(', ')}`)
  return out
}

/** releasesIn are the releases serving in env, the largest share first. */
export function releasesIn(releases: ReleaseView[], env: string): { name: string; revision: string; percent: number; unpinned: boolean }[] {
  const out: { name: string; revision: string; percent: number; unpinned: boolean }[] = []
  for (const r of releases) {
    for (const e of r.environments) {
      if (e.env === env) out.push({ name: r.name, revision: e.revision, percent: e.percent, unpinned: !!r.unpinned })
    }
  }
  return out.sort((a, b) => b.percent - a.percent)
}

export const STATES = ['pending', 'deploying', 'deployed', 'rejected', 'failed'] as const

/** stateClass is the badge class of a promotion's state. */
export function stateClass(state: string): string {
  switch (state) {
    case 'pending':
      return 'pending'
    case 'deploying':
      return 'running'
    case 'deployed':
      return 'ok'
    case 'rejected':
    case 'failed':
      return 'bad'
    default:
      return 'skipped'
  }
}

/** approvalCount is "1 of 2 approvals"; a promotion that needs none says so. */
export function approvalCount(p: Pick<Promotion, 'approvals' | 'requiredApprovals'>): string {
  const need = p.requiredApprovals ?? 0
  const have = p.approvals?.length ?? 0
  if (need <= 0) return have > 0 ? `${have} approved` : 'no approval needed'
  return `${have} of ${need} ${need === 1 ? 'approval' : 'approvals'}`
}

/** approvalsMissing is how many more approvals a pending promotion needs. */
export function approvalsMissing(p: Pick<Promotion, 'approvals' | 'requiredApprovals'>): number {
  return Math.max(0, (p.requiredApprovals ?? 0) - (p.approvals?.length ?? 0))
}

/** split divides promotions into those waiting for a decision and the rest (as listed: newest first). */
export function split(promotions: Promotion[]): { pending: Promotion[]; others: Promotion[] } {
  return { pending: promotions.filter((p) => p.state === 'pending'), others: promotions.filter((p) => p.state !== 'pending') }
}

/** outcome says what a promotion just created does next. */
export function outcome(p: Promotion): string {
  switch (p.state) {
    case 'pending': {
      const n = approvalsMissing(p)
      return `Promotion ${p.id} of ${p.revision} to ${p.to} is pending: it needs ${n === 1 ? '1 approval' : `${n} approvals`}.`
    }
    case 'deployed':
      return `Promoted ${p.revision} to ${p.to}${p.deployedRevision ? ` as ${p.deployedRevision}` : ''}.`
    case 'deploying':
      return `Promotion ${p.id} of ${p.revision} to ${p.to} is deploying.`
    case 'failed':
      return `Promotion ${p.id} failed${p.error ? `: ${p.error}` : '.'}`
    default:
      return `Promotion ${p.id} is ${p.state}.`
  }
}

/** RULES explain each policy rule a refusal names (problem.rule). */
export const RULES: Record<string, string> = {
  promotionRequired: 'this environment is reached only by promotion: promote a release from the previous environment (or deploy with break-glass)',
  notNextStep: 'the target is not the next environment on the promotion path',
  notReady: 'the revision is not Ready yet',
  soak: 'the release has not served long enough in the previous environment yet',
  window: 'the target environment is outside its deploy windows',
  notPending: 'the promotion is no longer pending',
  alreadyApproved: 'you have approved this promotion already',
  selfApproval: 'whoever asked for a promotion may not approve it here: someone else has to',
  notApprover: 'you are in none of the groups that approve promotions here',
}

export interface Refusal {
  rule: string
  /** explanation is RULES' sentence for the rule, or undefined for a rule the console does not know. */
  explanation?: string
  /** nextOpening is when the rule lets the request through (RFC 3339), for time rules. */
  nextOpening?: string
}

/** refusal is the policy refusal in an error, or undefined for any other failure. */
export function refusal(err: ApiError | undefined): Refusal | undefined {
  const rule = err?.problem?.rule
  if (!rule) return undefined
  return { rule, explanation: RULES[rule], nextOpening: err?.problem?.nextOpening ?? undefined }
}
