// What the signed-in user may do in a project (GET /projects/{p}/access), polled: the pages
// offer only what it allows (the API checks again).
import { API } from './api'
import { usePoll } from './poll'
import type { ProjectAccess } from './schema'

export function useAccess(project: string) {
  return usePoll<ProjectAccess>(`${API}/projects/${encodeURIComponent(project)}/access`, 30000)
}
