// A bar chart that is also its table: one row per item with its figures, the bar drawn beside them
// and hidden from screen readers, who read the same figures in the cells. An optional marker (a
// target, the average) is drawn across every bar and named in the caption.
import type { ReactNode } from 'react';

export interface BarRow {
  key: string;
  label: ReactNode;
  /** The length of the bar; null draws none. */
  value: number | null;
  /** Cells after the bar, in the order of `columns`. */
  cells: ReactNode[];
  /** Draws the bar in the warning colour (off target, say). */
  warn?: boolean;
}

export function BarTable({
  caption,
  labelHeader,
  barHeader,
  columns,
  rows,
  max,
  marker,
}: {
  caption: ReactNode;
  labelHeader: string;
  /** The column the bar is drawn in, with the figure it shows among `columns`. */
  barHeader: string;
  columns: readonly { header: string; numeric?: boolean }[];
  rows: readonly BarRow[];
  /** The value of a full bar; the largest value (or the marker) when left out. */
  max?: number;
  marker?: { value: number; label: string };
}) {
  const top = Math.max(max ?? 0, marker?.value ?? 0, ...rows.map((row) => row.value ?? 0)) || 1;
  const share = (value: number) => `${Math.min(100, Math.max(0, (value / top) * 100))}%`;
  return (
    <div className="table-wrap">
      <table className="compact bar-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{labelHeader}</th>
            <th scope="col" className="bar-col">
              {barHeader}
            </th>
            {columns.map((column) => (
              <th key={column.header} scope="col" className={column.numeric ? 'num' : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              <td className="bar-col">
                <div className="bar-track" aria-hidden="true">
                  {row.value !== null && (
                    <div
                      className={`bar${row.warn ? ' bar-warn' : ''}`}
                      style={{ width: share(row.value) }}
                    />
                  )}
                  {marker && (
                    <div className="bar-marker" style={{ left: share(marker.value) }} title={marker.label} />
                  )}
                </div>
              </td>
              {row.cells.map((cell, index) => (
                <td
                  key={columns[index]?.header ?? index}
                  className={columns[index]?.numeric ? 'num' : undefined}
                >
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
