import type { ReactNode } from 'react'

interface Props {
  className?: string
  /** caption names the table for screen readers (it is not shown). */
  caption: ReactNode
  /** columns are the column headers, in order. */
  columns: ReactNode[]
  /** children are the rows. */
  children: ReactNode
}

/** Table is a data table that scrolls sideways on a narrow screen, with a hidden caption. */
export function Table({ className, caption, columns, children }: Props) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}
