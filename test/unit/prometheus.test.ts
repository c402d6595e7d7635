import { describe, expect, it } from 'vitest';
import { sumMetrics } from '../../functions/domain/prometheus';

const EXPOSITION = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="qwen"} 2.0
# TYPE vllm:request_success_total counter
vllm:request_success_total{finished_reason="stop",model_name="qwen"} 41.0
vllm:request_success_total{finished_reason="length",model_name="qwen"} 1.0
vllm:request_success_total{finished_reason="abort",model_name="a }{ \\"odd\\" name"} 3 1733100000000
vllm:request_success_total_created{model_name="qwen"} 1.7e9
vllm:num_requests_waiting{model_name="qwen"} 7
`;

describe('sumMetrics', () => {
  it('sums every label set of the named metrics and nothing else', () => {
    expect(sumMetrics(EXPOSITION, ['vllm:request_success_total', 'vllm:num_requests_running'])).toEqual({
      'vllm:request_success_total': 45,
      'vllm:num_requests_running': 2,
    });
  });
  it('reads 0 for an absent metric and ignores values that are not numbers', () => {
    expect(sumMetrics('vllm:num_requests_running{} NaN\n', ['vllm:num_requests_running', 'vllm:request_success_total'])).toEqual({
      'vllm:num_requests_running': 0,
      'vllm:request_success_total': 0,
    });
  });
});
