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

/** A trend line without axes, for KPI cards. */
export function Sparkline({
  values,
  label,
  color = '#1f5f8b',
}: {
  values: (number | null)[];
  label: string;
  color?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: element.clientWidth || 160,
        height: 40,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: color, width: 2, fill: `${color}22`, points: { show: values.length === 1 } }],
      },
      [values.map((_, index) => index), values],
      element,
    );
    return () => plot.destroy();
  }, [values, color]);
  return <div ref={box} className="sparkline" role="img" aria-label={label} />;
}
