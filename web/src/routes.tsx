// The console's pages. Each page is one entry; the router (router.tsx) tries them in order.
// This module imports the pages and no page imports it (what pages share lives in
// access.ts and components/).
//
// Promotions are per app across environments: one page for the app along the promotion path
// (what each environment runs, their differences, promote, approve and reject).
//
// Pipelines are per app and environment: the "Pipeline" tab of the app's page (runs, start,
// the pipeline form, the hook) and a page per run (steps, approval, cancel, retry, logs).
import type { ReactNode } from 'react'
import { match } from './router'
import { ProjectsPage } from './pages/Projects'
import { ProjectPage } from './pages/Project'
import { MembersPage } from './pages/Members'
import { AppEnvPage, TABS, type Tab } from './pages/AppEnv'
import { RunPage } from './pages/Run'
import { PromotionsPage } from './pages/Promotions'

type Params = Record<string, string>

export interface RouteDef {
  path: string
  title: (p: Params) => string
  page: (p: Params) => ReactNode
}

export const routes: RouteDef[] = [
  { path: '/', title: () => 'Projects', page: () => <ProjectsPage /> },
  { path: '/projects/:project', title: (p) => p.project, page: (p) => <ProjectPage project={p.project} /> },
  { path: '/projects/:project/members', title: (p) => `Members · ${p.project}`, page: (p) => <MembersPage project={p.project} /> },
  {
    path: '/projects/:project/apps/:app/promotions',
    title: (p) => `Promotions · ${p.app}`,
    page: (p) => <PromotionsPage key={`${p.project}/${p.app}`} project={p.project} app={p.app} />,
  },
  {
    path: '/projects/:project/apps/:app/envs/:env',
    title: (p) => `${p.app} (${p.env})`,
    page: (p) => <AppEnvPage key={`${p.project}/${p.app}/${p.env}`} project={p.project} app={p.app} env={p.env} tab="revisions" />,
  },
  {
    path: '/projects/:project/apps/:app/envs/:env/:tab',
    title: (p) => `${p.app} (${p.env}) · ${p.tab}`,
    page: (p) =>
      (TABS as readonly string[]).includes(p.tab) ? (
        <AppEnvPage key={`${p.project}/${p.app}/${p.env}`} project={p.project} app={p.app} env={p.env} tab={p.tab as Tab} />
      ) : null,
  },
  {
    path: '/projects/:project/apps/:app/envs/:env/runs/:run',
    title: (p) => `${p.run} · ${p.app} (${p.env})`,
    page: (p) => <RunPage key={`${p.project}/${p.app}/${p.env}/${p.run}`} project={p.project} app={p.app} env={p.env} run={p.run} />,
  },
]

export function findRoute(pathname: string): { route: RouteDef; params: Params } | null {
  for (const route of routes) {
    const params = match(route.path, pathname)
    if (params) return { route, params }
  }
  return null
}
