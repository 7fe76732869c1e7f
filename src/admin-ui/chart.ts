// One live uPlot time-series chart: made once per set of series, fed new data
// with setData, sized to its box. The figure carries data-points (the number of
// points drawn) once there is data, for the browser tests.

import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  color: string;
  dash?: number[];
}

interface ChartProps {
  testid: string;
  title: string;
  series: ChartSeries[];
  /** x in unix seconds, then one array per series (null: no sample there). */
  data: uPlot.AlignedData;
  /** A value in the legend. */
  format: (value: number) => string;
  /** Tick labels of the y axis (ticks may have more decimals than values); format when absent. */
  tick?: (value: number) => string;
  /** Whole numbers only (connections): no ticks between them. */
  integer?: boolean;
}

const HEIGHT = 210;

const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];

function options(width: number, series: ChartSeries[], { format, tick, integer }: Pick<ChartProps, 'format' | 'tick' | 'integer'>): uPlot.Options {
  const label = tick ?? format;
  const axis = { stroke: '#64748b', grid: { stroke: '#eef1f5', width: 1 }, ticks: { stroke: '#e2e8f0', width: 1 }, font: '11px system-ui, sans-serif' };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false, setScale: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    axes: [axis, { ...axis, size: 58, values: (_u, values) => values.map((v) => label(v)), ...(integer ? { incrs: INTEGER_STEPS } : {}) }],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        spanGaps: true,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : format(v)),
        ...(s.dash ? { dash: s.dash } : {}),
      })),
    ],
  };
}

export function Chart({ testid, title, series, data, format, tick, integer }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}\u0000${s.color}\u0000${s.dash ? 'd' : ''}`).join('\u0001');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(options(Math.max(el.clientWidth, 200), series, { format, tick, integer }), data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(el.clientWidth, 200);
      if (width !== u.width) u.setSize({ width, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Remade only when the series change; new data goes through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const points = data[0].length;
  return html`<figure class="chart" data-testid=${testid} data-points=${points > 0 ? String(points) : undefined}>
    <figcaption>${title}</figcaption>
    <div class="chart-plot" ref=${box}></div>
    ${points === 0 ? html`<div class="chart-empty">Waiting for data…</div>` : null}
  </figure>`;
}
