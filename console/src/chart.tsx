/** A uPlot chart in a Preact component: created once per mount, data swapped in on change. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const day = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);
const figure = (value: number): string => (value === 0 ? '0' : Math.abs(value) < 0.01 ? value.toPrecision(2) : value.toFixed(2));

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
        // Half a day either side of the data, so a single day's bar gets a readable axis.
        scales: {
          x: {
            time: true,
            range: (u) => {
              const xs = u.data[0];
              const first = xs[0] ?? Date.now() / 1000;
              return [first - 43_200, (xs[xs.length - 1] ?? first) + 43_200];
            },
          },
          cost: {},
        },
        series: [
          { label: 'Day', value: (_u, v) => (v == null ? '—' : day(v)) },
          { label: 'GPU-hours', stroke: '#2563eb', fill: 'rgba(37,99,235,0.15)', width: 2, paths: uPlot.paths.bars?.({ size: [0.6, 60] }), points: { show: false } },
          { label: `Cost (${currency})`, stroke: '#b45309', width: 2, scale: 'cost', value: (_u, v) => (v == null ? '—' : v.toFixed(4)) },
        ],
        // One tick per UTC day of the data; small figures keep their significant digits.
        axes: [
          { splits: (u) => [...u.data[0]], values: (_u, splits) => splits.map(day) },
          { label: 'GPU-hours', values: (_u, splits) => splits.map(figure), size: 70 },
          { side: 1, scale: 'cost', label: currency, grid: { show: false }, values: (_u, splits) => splits.map(figure), size: 70 },
        ],
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
