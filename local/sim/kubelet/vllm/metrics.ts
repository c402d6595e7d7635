/**
 * vLLM 0.11's Prometheus exposition (vllm/v1/metrics/loggers.py, PrometheusStatLogger): the
 * names, label sets (model_name, engine; finished_reason on request_success) and histogram
 * buckets it registers. `vllm:gpu_cache_usage_perc` is hidden in 0.11 (only with
 * --show-hidden-metrics-for-version=0.10), so it is printed only with that flag;
 * `vllm:time_per_output_token_seconds` is deprecated in 0.11 but still printed, with the same
 * observations as its successor `vllm:inter_token_latency_seconds`.
 */

export interface HistogramData {
  /** Cumulative-free counts per bucket (same order as the bucket bounds), then +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export const BUCKETS = {
  ttft: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0],
  itl: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0],
  latency: [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0],
} as const;

export type HistogramName = 'ttft' | 'itl' | 'e2e' | 'queue' | 'prefill' | 'decode';

const BOUNDS: Record<HistogramName, readonly number[]> = {
  ttft: BUCKETS.ttft,
  itl: BUCKETS.itl,
  e2e: BUCKETS.latency,
  queue: BUCKETS.latency,
  prefill: BUCKETS.latency,
  decode: BUCKETS.latency,
};

export const emptyHistogram = (name: HistogramName): HistogramData => ({ counts: new Array<number>(BOUNDS[name].length + 1).fill(0), sum: 0, count: 0 });

export const observe = (h: HistogramData, name: HistogramName, value: number): void => {
  const bounds = BOUNDS[name];
  let i = bounds.findIndex((b) => value <= b);
  if (i < 0) i = bounds.length;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
  h.count += 1;
};

export interface MetricsSnapshot {
  modelName: string;
  running: number;
  waiting: number;
  kvUsage: number;
  showHidden010: boolean;
  promptTokens: number;
  generationTokens: number;
  preemptions: number;
  finished: { stop: number; length: number; abort: number };
  histograms: Partial<Record<HistogramName, HistogramData>>;
}

const number = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

const HISTOGRAMS: [HistogramName, string, string][] = [
  ['ttft', 'vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.'],
  ['itl', 'vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds instead.'],
  ['itl', 'vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.'],
  ['e2e', 'vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.'],
  ['queue', 'vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.'],
  ['prefill', 'vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.'],
  ['decode', 'vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.'],
];

/** Prometheus text format 0.0.4, as prometheus_client prints it (counters as `_total`, floats with `.0`). */
export const renderMetrics = (m: MetricsSnapshot): string => {
  const labels = `model_name="${m.modelName.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}",engine="0"`;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [suffix, value] of samples) lines.push(`${suffix} ${number(value)}`);
  };
  metric('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', [[`vllm:num_requests_running{${labels}}`, m.running]]);
  metric('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', [[`vllm:num_requests_waiting{${labels}}`, m.waiting]]);
  if (m.showHidden010) {
    metric('vllm:gpu_cache_usage_perc', 'gauge', 'GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.', [[`vllm:gpu_cache_usage_perc{${labels}}`, m.kvUsage]]);
  }
  metric('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', [[`vllm:kv_cache_usage_perc{${labels}}`, m.kvUsage]]);
  metric('vllm:num_preemptions', 'counter', 'Cumulative number of preemption from the engine.', [[`vllm:num_preemptions_total{${labels}}`, m.preemptions]]);
  metric('vllm:prompt_tokens', 'counter', 'Number of prefill tokens processed.', [[`vllm:prompt_tokens_total{${labels}}`, m.promptTokens]]);
  metric('vllm:generation_tokens', 'counter', 'Number of generation tokens processed.', [[`vllm:generation_tokens_total{${labels}}`, m.generationTokens]]);
  metric('vllm:request_success', 'counter', 'Count of successfully processed requests.', [
    [`vllm:request_success_total{${labels},finished_reason="stop"}`, m.finished.stop],
    [`vllm:request_success_total{${labels},finished_reason="length"}`, m.finished.length],
    [`vllm:request_success_total{${labels},finished_reason="abort"}`, m.finished.abort],
  ]);
  for (const [key, name, help] of HISTOGRAMS) {
    const h = m.histograms[key] ?? emptyHistogram(key);
    const bounds = BOUNDS[key];
    const samples: [string, number][] = [];
    let cumulative = 0;
    bounds.forEach((b, i) => {
      cumulative += h.counts[i] ?? 0;
      samples.push([`${name}_bucket{${labels},le="${number(b)}"}`, cumulative]);
    });
    samples.push([`${name}_bucket{${labels},le="+Inf"}`, h.count], [`${name}_count{${labels}}`, h.count], [`${name}_sum{${labels}}`, h.sum]);
    metric(name, 'histogram', help, samples);
  }
  lines.push('');
  return lines.join('\n');
};
