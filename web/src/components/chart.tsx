// Charts with uPlot: a line/area chart for histories and trends, and a small sparkline.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

interface ChartProps {
  /** X values as seconds since the epoch (uPlot's time scale). */
  x: number[];
  series: Series[];
  height?: number;
  /** What the chart shows, for screen readers. */
  label: string;
  yRange?: [number, number];
}

export function LineChart({ x, series, height = 240, label, yRange }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height,
      scales: { x: { time: true }, ...(yRange && { y: { range: yRange } }) },
      axes: [{ stroke: '#55606e' }, { stroke: '#55606e', size: 56 }],
      series: [
        {},
        ...series.map((one) => ({
          label: one.label,
          stroke: one.color,
          width: 2,
          points: { size: 5 },
          spanGaps: true,
        })),
      ],
    };
    const plot = new uPlot(options, [x, ...series.map((one) => one.values)], element);
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, height, yRange]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}

/**
 * A trend line without axes, for KPI cards. Points marked in `backfilled` (derived afterwards rather
 * than recorded on the day) are drawn dashed and lighter, the rest solid.
 */
export function Sparkline({
  values,
  label,
  color = '#1f5f8b',
  backfilled,
}: {
  values: (number | null)[];
  label: string;
  color?: string;
  backfilled?: readonly boolean[];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const derived = (index: number) => backfilled?.[index] ?? false;
    const anyDerived = values.some((_, index) => derived(index));
    // The dashed line runs through the backfilled points and on to the first recorded one after
    // them, so the two lines join.
    const dashedValues = values.map((value, index) =>
      derived(index) || (index > 0 && derived(index - 1)) ? value : null,
    );
    const solidValues = values.map((value, index) => (derived(index) ? null : value));
    const solid = { stroke: color, width: 2, fill: `${color}22`, points: { show: values.length === 1 } };
    const plot = new uPlot(
      {
        width: element.clientWidth || 160,
        height: 40,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: anyDerived
          ? [{}, { stroke: `${color}99`, width: 2, dash: [4, 3], points: { show: false } }, solid]
          : [{}, solid],
      },
      anyDerived
        ? [values.map((_, index) => index), dashedValues, solidValues]
        : [values.map((_, index) => index), values],
      element,
    );
    return () => plot.destroy();
  }, [values, color, backfilled]);
  return <div ref={box} className="sparkline" role="img" aria-label={label} />;
}
