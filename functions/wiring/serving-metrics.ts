/** vLLM's Prometheus metrics through the pod proxy (adapters/serving-metrics.ts). */
import { readServingMetrics } from '../adapters/serving-metrics';
import type { ServingMetrics } from '../ports';

export const servingMetrics: ServingMetrics = { read: readServingMetrics };
