/** Log lines a vLLM OpenAI server prints while it starts, serves, or dies of an injected fault. */
import type { Pod } from '../apiserver/types.js';
import type { PodFault } from '../faults.js';

export const WEIGHTS_ANNOTATION = 'gpudeploy.io/weights-gib';
export const DEFAULT_WEIGHTS_GIB = 2;

export const weightsGiB = (pod: Pod): number => {
  const raw = Number(pod.metadata.annotations?.[WEIGHTS_ANNOTATION]);
  return Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_WEIGHTS_GIB;
};

const argValue = (args: string[], flag: string): string | undefined => {
  const inline = args.find((a) => a.startsWith(`${flag}=`));
  if (inline) return inline.slice(flag.length + 1);
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};

export interface ServerArgs {
  model: string;
  servedModelName: string;
  tensorParallel: number;
  maxModelLen: number;
  port: number;
}

/** Reads `vllm serve <model> --flag value` / `--model x` out of the first container's command and args. */
export const serverArgs = (pod: Pod): ServerArgs => {
  const container = pod.spec.containers[0];
  const args = [...(container?.command ?? []), ...(container?.args ?? [])].flatMap((a) => (a.includes(' ') && a.startsWith('--') ? a.split(' ') : [a]));
  const serveIndex = args.indexOf('serve');
  const positional = serveIndex >= 0 ? args[serveIndex + 1] : undefined;
  const model = argValue(args, '--model') ?? (positional && !positional.startsWith('-') ? positional : undefined) ?? 'facebook/opt-125m';
  return {
    model,
    servedModelName: argValue(args, '--served-model-name') ?? model,
    tensorParallel: Number(argValue(args, '--tensor-parallel-size') ?? 1) || 1,
    maxModelLen: Number(argValue(args, '--max-model-len') ?? 8192) || 8192,
    port: Number(argValue(args, '--port') ?? 8000) || 8000,
  };
};

const stamp = (ms: number): string => {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

interface Line {
  /** Fraction of the load duration after which the line appears. */
  at: number;
  text: (t: string) => string;
}

const startupScript = (a: ServerArgs, weights: number): Line[] => [
  { at: 0, text: (t) => `INFO ${t} [__init__.py:239] Automatically detected platform cuda.` },
  { at: 0.01, text: (t) => `INFO ${t} [api_server.py:1043] vLLM API server version 0.11.0` },
  { at: 0.02, text: (t) => `INFO ${t} [api_server.py:1044] args: Namespace(model='${a.model}', served_model_name=['${a.servedModelName}'], tensor_parallel_size=${a.tensorParallel}, max_model_len=${a.maxModelLen}, port=${a.port})` },
  { at: 0.05, text: (t) => `INFO ${t} [config.py:717] This model supports multiple tasks: {'generate', 'embed'}. Defaulting to 'generate'.` },
  { at: 0.08, text: (t) => `INFO ${t} [core.py:58] Initializing a V1 LLM engine (v0.11.0) with config: model='${a.model}', dtype=torch.bfloat16, max_seq_len=${a.maxModelLen}, tensor_parallel_size=${a.tensorParallel}` },
  { at: 0.12, text: (t) => `INFO ${t} [gpu_model_runner.py:1329] Starting to load model ${a.model}...` },
  { at: 0.15, text: (t) => `INFO ${t} [weight_utils.py:265] Using model weights format ['*.safetensors']` },
  { at: 0.4, text: () => 'Loading safetensors checkpoint shards:  50% Completed | 1/2' },
  { at: 0.7, text: () => 'Loading safetensors checkpoint shards: 100% Completed | 2/2' },
  { at: 0.72, text: (t) => `INFO ${t} [gpu_model_runner.py:1347] Model loading took ${weights.toFixed(4)} GiB and ${(weights * 4).toFixed(6)} seconds` },
  { at: 0.8, text: (t) => `INFO ${t} [kv_cache_utils.py:634] GPU KV cache size: 412,352 tokens` },
  { at: 0.88, text: (t) => `INFO ${t} [gpu_model_runner.py:1686] Graph capturing finished in 12 secs, took 0.52 GiB` },
  { at: 0.95, text: (t) => `INFO ${t} [api_server.py:1090] Starting vLLM API server on http://0.0.0.0:${a.port}` },
  { at: 0.97, text: () => 'INFO:     Started server process [1]' },
  { at: 0.98, text: () => 'INFO:     Waiting for application startup.' },
  { at: 1, text: () => 'INFO:     Application startup complete.' },
];

const crashTail = (fault: PodFault, a: ServerArgs, t: string): string[] => {
  switch (fault) {
    case 'hf_unauthorized':
      return [
        'Traceback (most recent call last):',
        '  File "/usr/local/lib/python3.12/dist-packages/huggingface_hub/utils/_http.py", line 409, in hf_raise_for_status',
        '    response.raise_for_status()',
        `requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://huggingface.co/${a.model}/resolve/main/config.json`,
        '',
        'The above exception was the direct cause of the following exception:',
        '',
        'Traceback (most recent call last):',
        '  File "/usr/local/bin/vllm", line 8, in <module>',
        '    sys.exit(main())',
        '  File "/usr/local/lib/python3.12/dist-packages/transformers/utils/hub.py", line 470, in cached_files',
        '    raise OSError(',
        `huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-6741a2b3-5c1d2e3f4a5b6c7d8e9f0a1b)`,
        '',
        `Cannot access gated repo for url https://huggingface.co/${a.model}/resolve/main/config.json.`,
        `Access to model ${a.model} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      ];
    case 'oom_killed':
      return [];
    default:
      return [
        `ERROR ${t} [core.py:396] EngineCore failed to start.`,
        'Traceback (most recent call last):',
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 387, in run_engine_core',
        '    engine_core = EngineCoreProc(*args, **kwargs)',
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/core/kv_cache_utils.py", line 577, in check_enough_kv_cache_memory',
        '    raise ValueError(',
        `ValueError: The model's max seq len (${a.maxModelLen}) is larger than the maximum number of tokens that can be stored in KV cache (4096). Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`,
        'RuntimeError: Engine core initialization failed. See root cause above.',
      ];
  }
};

export interface ContainerRun {
  startedAt: number;
  /** Load duration in ms; lines are spread over it. */
  loadMs: number;
  /** When the run ended (crash) or undefined if it is still running. */
  endedAt?: number;
  fault?: PodFault;
  ready: boolean;
}

/** vLLM logs its engine stats every 10 s while serving. */
const STATS_INTERVAL_MS = 10_000;

/** One log line with the time the container wrote it (what `kubectl logs --timestamps` prints). */
export interface LogEntry {
  at: number;
  text: string;
}

/** The log of one container run, as of `now`. */
export const containerLog = (pod: Pod, run: ContainerRun, now: number): string[] => containerLogEntries(pod, run, now).map((e) => e.text);

/** The log of one container run with each line's write time, as of `now`. */
export const containerLogEntries = (pod: Pod, run: ContainerRun, now: number): LogEntry[] => {
  const a = serverArgs(pod);
  const until = run.endedAt ?? now;
  const loadMs = Math.max(1, run.loadMs);
  const lines: LogEntry[] = [];
  const script = startupScript(a, weightsGiB(pod));
  // A crashing run only gets through the first part of the script before its traceback.
  const crashFraction = run.fault === 'hf_unauthorized' ? 0.06 : run.fault === 'crash_loop' ? 0.82 : run.fault === 'oom_killed' ? 0.6 : 1;
  for (const line of script) {
    if (line.at > crashFraction) break;
    const at = run.startedAt + (run.endedAt !== undefined ? (run.endedAt - run.startedAt) * (line.at / crashFraction) : line.at * loadMs);
    if (at > until) break;
    lines.push({ at, text: line.text(stamp(at)) });
  }
  if (run.endedAt !== undefined && run.fault) {
    const endedAt = run.endedAt;
    lines.push(...crashTail(run.fault, a, stamp(endedAt)).map((text) => ({ at: endedAt, text })));
  }
  if (run.ready) {
    // Append-only, like a real container log (a follower relies on it): once started, a health
    // check and a stats line every STATS_INTERVAL_MS, each stamped with its own time.
    const startedServing = run.startedAt + loadMs;
    for (let at = startedServing; at === startedServing || at <= now; at += STATS_INTERVAL_MS) {
      lines.push({ at, text: `INFO:     10.0.0.1:48212 - "GET /health HTTP/1.1" 200 OK` });
      lines.push({ at, text: `INFO ${stamp(at)} [loggers.py:116] Engine 000: Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 0.0 tokens/s, Running: 0 reqs, Waiting: 0 reqs, GPU KV cache usage: 0.0%, Prefix cache hit rate: 0.0%` });
    }
  }
  return lines;
};
