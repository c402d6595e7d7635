/** A uPlot chart in a Preact component: created once per mount, data swapped in on change. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const UsageChart = ({ days, currency }: { days: { date: string; gpu_seconds: number; cost_to_date: number }[]; currency: string }) => {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data: uPlot.AlignedData = [days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000), days.map((d) => d.gpu_seconds / 3600), days.map((d) => d.cost_to_date)];

  useEffect(() => {
    if (!host.current) return;
    const width = Math.max(320, host.current.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 220,
        title: 'Usage per day (UTC)',
        // A day either side, so a single day's bar is drawn rather than a zero-width range.
        scales: { x: { time: true, range: (_u, min, max) => [min - 86_400, max + 86_400] }, cost: {} },
        series: [
          {},
          { label: 'GPU-hours', stroke: '#2563eb', fill: 'rgba(37,99,235,0.15)', width: 2, paths: uPlot.paths.bars?.({ size: [0.6, 60] }), points: { show: false } },
          { label: `Cost (${currency})`, stroke: '#b45309', width: 2, scale: 'cost', value: (_u, v) => (v == null ? '—' : v.toFixed(4)) },
        ],
        axes: [{}, { label: 'GPU-hours' }, { side: 1, scale: 'cost', label: currency, grid: { show: false } }],
      },
      data,
      host.current,
    );
    return () => plot.current?.destroy();
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div ref={host} class="chart" role="img" aria-label={`GPU-hours and cost per day over ${days.length} days`} />;
};
