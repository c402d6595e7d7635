/**
 * gpuctl prompt and models: try a ready deployment's model server through the API; gpuctl chat:
 * stream an answer from its endpoint_url (the inference gateway) with an inference key.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { streamChat } from '../chat';
import { ApiError, UsageError } from '../client';
import { table } from '../output';
import { clientFor, globals, integer, print, printJson, readStdin, show } from './shared';

interface PromptOptions {
  model?: string;
  maxTokens?: number;
  temperature?: number;
  mode: 'chat' | 'completion';
}

const temperature = (value: string): number => {
  const t = Number(value);
  if (value.trim() === '' || !Number.isFinite(t)) throw new InvalidArgumentError('--temperature must be a number (0-2)');
  return t;
};

export const registerServing = (program: Command): void => {
  program
    .command('prompt')
    .description('Send one prompt to a ready deployment and print the model\'s answer')
    .argument('<id>', 'deployment id')
    .argument('[text...]', 'the prompt; - or nothing reads it from stdin')
    .option('--model <name>', 'served model name (gpuctl models); default: the deployment\'s')
    .option('--max-tokens <n>', 'longest answer in tokens (1-4096, API default 256)', integer('--max-tokens', 1))
    .option('--temperature <t>', 'sampling temperature (0-2)', temperature)
    .addOption(new Option('--mode <mode>', 'chat: one user message through the chat template; completion: raw text continuation').choices(['chat', 'completion']).default('chat'))
    .addHelpText('after', '\nExample:\n  gpuctl prompt dep-123 "Say hello in French"\n  echo "Once upon a time" | gpuctl prompt dep-123 --mode completion')
    .action(async (id: string, words: string[], options: PromptOptions, command: Command) => {
      const text = words.length === 0 || (words.length === 1 && words[0] === '-') ? (await readStdin()).trimEnd() : words.join(' ');
      if (!text) throw new UsageError('prompt needs text: as arguments or on stdin');
      const answer = await clientFor(command).call(
        'prompt-deployment',
        { model_id: id },
        { body: { prompt: text, model: options.model, max_tokens: options.maxTokens, temperature: options.temperature, mode: options.mode } },
      );
      if (globals(command).output === 'json') return printJson(answer);
      print(answer.answer);
      // What answered and what it cost, apart from the answer so `gpuctl prompt … > file` keeps only the text.
      const usage = answer.usage ? `, ${answer.usage.prompt_tokens}+${answer.usage.completion_tokens} tokens` : '';
      process.stderr.write(`(${answer.model}, ${answer.mode}, finish ${answer.finish_reason ?? '-'}${usage})\n`);
    });

  program
    .command('models')
    .description('List the models a ready deployment serves (vLLM /v1/models): the --model names of gpuctl prompt and the endpoint')
    .argument('<id>', 'deployment id')
    .action(async (id: string, _options: object, command: Command) => {
      const served = await clientFor(command).call('list-deployment-models', { model_id: id });
      show(command, served, ({ items }) =>
        table(items, [
          ['ID', (m) => m.id],
          ['ROOT', (m) => m.root],
          ['MAX_MODEL_LEN', (m) => m.max_model_len],
          ['OWNED_BY', (m) => m.owned_by],
        ]),
      );
    });

  program
    .command('chat')
    .description('Stream a chat answer from a ready deployment\'s endpoint_url, token by token, with an inference key')
    .argument('<id>', 'deployment id')
    .argument('[text...]', 'the message; - or nothing reads it from stdin')
    .option('--key <sk>', 'inference key (default: $GPUCTL_INFERENCE_KEY; gpuctl keys create makes one)')
    .option('--model <name>', 'served model name (gpuctl models); default: the deployment\'s')
    .option('--max-tokens <n>', 'longest answer in tokens', integer('--max-tokens', 1))
    .option('--temperature <t>', 'sampling temperature (0-2)', temperature)
    .addHelpText('after', '\nExample:\n  export GPUCTL_INFERENCE_KEY=sk-…\n  gpuctl chat dep-123 "Write a haiku about GPUs"')
    .action(async (id: string, words: string[], options: { key?: string; model?: string; maxTokens?: number; temperature?: number }, command: Command) => {
      const key = options.key ?? process.env.GPUCTL_INFERENCE_KEY;
      if (!key) throw new UsageError('chat needs an inference key: --key sk-… or GPUCTL_INFERENCE_KEY');
      const text = words.length === 0 || (words.length === 1 && words[0] === '-') ? (await readStdin()).trimEnd() : words.join(' ');
      if (!text) throw new UsageError('chat needs a message: as arguments or on stdin');
      const deployment = await clientFor(command).call('get-deployment', { model_id: id });
      if (deployment.status !== 'ready' || !deployment.endpoint_url) {
        throw new ApiError(409, 'conflict', `deployment '${id}' is ${deployment.status} (${deployment.phase}); chat once it is ready`);
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const result = await streamChat(
        {
          endpointUrl: deployment.endpoint_url,
          key,
          model: options.model ?? deployment.name,
          prompt: text,
          ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
          ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        },
        (piece) => void process.stdout.write(piece),
        stop.signal,
      );
      process.stdout.write('\n');
      const usage = result.usage ? `, ${result.usage.prompt_tokens}+${result.usage.completion_tokens} tokens` : '';
      process.stderr.write(`(finish ${result.finishReason ?? '-'}${usage})\n`);
    });
};
