// The top of a project's pages: the breadcrumb, the project's name and its tab row.
import { href, Link } from '../router'

/** projectNav is the tab row of a project's pages. */
export function projectNav(project: string): { label: string; to: string }[] {
  return [
    { label: 'Apps', to: href('projects', project) },
    { label: 'Members', to: href('projects', project, 'members') },
  ]
}

export function ProjectHeader({ project, current }: { project: string; current: string }) {
  return (
    <>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Projects</Link> / <span aria-current="page">{project}</span>
      </nav>
      <h1>{project}</h1>
      <nav aria-label="Project" className="tabs">
        {projectNav(project).map((n) => (
          <Link key={n.to} to={n.to} aria-current={n.label === current ? 'page' : undefined}>
            {n.label}
          </Link>
        ))}
      </nav>
    </>
  )
}
