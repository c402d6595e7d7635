/** The Step Functions API actions the endpoint serves: validated requests in, wire outputs out. */
import { randomUUID } from 'node:crypto';
import type {
  DescribeExecutionOutput,
  DescribeStateMachineForExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { invalidNameReason, parseExecutionArn, parseStateMachineArn, roleArn, type ArnScope } from './arns';
import type { ExecutionRecord, StoredHistoryEvent } from './execution-record';
import type { ExecutionEngine, StateMachineRuntime } from './executions';
import { isJsonObject, tryParseJson } from './json';
import { epochSeconds, SfnServiceError, type Wire } from './protocol';

export interface SfnApiContext {
  readonly scope: ArnScope;
  readonly machines: ReadonlyMap<string, StateMachineRuntime>;
  readonly engine: ExecutionEngine;
}

export type ActionHandler = (body: unknown) => unknown;

const MAX_INPUT_BYTES = 256 * 1024;
const DEFAULT_PAGE_SIZE = 100;

const paging = {
  maxResults: z.number().int().min(0).max(1000).optional(),
  nextToken: z.string().min(1).max(3096).optional(),
};
const executionStatus = z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

const listStateMachinesRequest = z.object(paging);
const describeStateMachineRequest = z.object({ stateMachineArn: z.string() });
const startExecutionRequest = z.object({
  stateMachineArn: z.string(),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().optional(),
});
const describeExecutionRequest = z.object({
  executionArn: z.string(),
  includedData: z.enum(['ALL_DATA', 'METADATA_ONLY']).optional(),
});
const stopExecutionRequest = z.object({
  executionArn: z.string(),
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
const listExecutionsRequest = z.object({
  stateMachineArn: z.string().optional(),
  mapRunArn: z.string().optional(),
  statusFilter: executionStatus.optional(),
  ...paging,
});
const getExecutionHistoryRequest = z.object({
  executionArn: z.string(),
  reverseOrder: z.boolean().optional(),
  includeExecutionData: z.boolean().optional(),
  ...paging,
});
const executionArnRequest = z.object({ executionArn: z.string() });

const offsetToken = z.object({ offset: z.number().int().min(0) });
const executionsToken = z.object({ startDate: z.number(), executionArn: z.string() });
const historyToken = z.object({ afterId: z.number().int(), reverse: z.boolean() });

function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'request';
  throw new SfnServiceError('ValidationException', `1 validation error detected: '${field}' ${issue?.message ?? 'is invalid'}`);
}

const encodeToken = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeToken<T>(schema: z.ZodType<T>, token: string): T {
  const parsed = tryParseJson(Buffer.from(token, 'base64url').toString('utf8'));
  const result = parsed ? schema.safeParse(parsed.value) : undefined;
  if (!result?.success) throw new SfnServiceError('InvalidToken', `Invalid Token: '${token}'`);
  return result.data;
}

const pageSize = (maxResults: number | undefined): number => (maxResults ? maxResults : DEFAULT_PAGE_SIZE);

const DATA_FIELDS = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

/** A history event without its input/output payloads (includeExecutionData: false). */
function withoutExecutionData(event: StoredHistoryEvent): StoredHistoryEvent {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    copy[key] = isJsonObject(value) ? Object.fromEntries(Object.entries(value).filter(([field]) => !DATA_FIELDS.has(field))) : value;
  }
  return copy as StoredHistoryEvent;
}

const wireEvent = (event: StoredHistoryEvent): Wire<HistoryEvent> => ({ ...event, timestamp: epochSeconds(event.timestamp) });

const optionalSeconds = (epochMs: number | undefined): number | undefined =>
  epochMs === undefined ? undefined : epochSeconds(epochMs);

const executionListItem = (record: ExecutionRecord): Wire<ExecutionListItem> => ({
  executionArn: record.executionArn,
  stateMachineArn: record.stateMachineArn,
  name: record.name,
  status: record.status,
  startDate: epochSeconds(record.startDate),
  stopDate: optionalSeconds(record.stopDate),
  redriveCount: record.restarts,
  redriveDate: optionalSeconds(record.restartDate),
});

/** DescribeExecution: the list item's fields, then the data and the failure. */
function describeExecution(record: ExecutionRecord, includeData: boolean): Wire<DescribeExecutionOutput> {
  return {
    ...executionListItem(record),
    input: includeData ? record.input : undefined,
    inputDetails: { included: includeData },
    output: includeData ? record.output : undefined,
    outputDetails: record.output === undefined ? undefined : { included: includeData },
    error: record.error,
    cause: record.cause,
  };
}

export function createActions({ scope, machines, engine }: SfnApiContext): ReadonlyMap<string, ActionHandler> {
  const machineByArn = (arn: string): StateMachineRuntime => {
    const parsed = parseStateMachineArn(scope, arn);
    if (parsed.kind === 'malformed') throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = parsed.kind === 'ok' ? machines.get(parsed.name) : undefined;
    if (!machine) throw new SfnServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  };

  const executionByArn = (arn: string): ExecutionRecord => {
    const parsed = parseExecutionArn(scope, arn);
    if (parsed.kind === 'malformed') throw new SfnServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    const record = parsed.kind === 'ok' ? engine.get(arn) : undefined;
    if (!record) throw new SfnServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  };

  const describeMachine = (machine: StateMachineRuntime): Wire<DescribeStateMachineOutput> => ({
    stateMachineArn: machine.arn,
    name: machine.name,
    status: 'ACTIVE',
    definition: machine.definitionText,
    roleArn: roleArn(scope),
    type: 'STANDARD',
    creationDate: epochSeconds(machine.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  });

  const actions: Record<string, ActionHandler> = {
    ListStateMachines: (body): Wire<ListStateMachinesOutput> => {
      const request = parseRequest(listStateMachinesRequest, body);
      const offset = request.nextToken ? decodeToken(offsetToken, request.nextToken).offset : 0;
      const all = [...machines.values()];
      const page = all.slice(offset, offset + pageSize(request.maxResults));
      const next = offset + page.length;
      return {
        stateMachines: page.map((machine) => ({
          stateMachineArn: machine.arn,
          name: machine.name,
          type: 'STANDARD',
          creationDate: epochSeconds(machine.creationDate),
        })),
        nextToken: next < all.length ? encodeToken({ offset: next }) : undefined,
      };
    },

    DescribeStateMachine: (body) => describeMachine(machineByArn(parseRequest(describeStateMachineRequest, body).stateMachineArn)),

    DescribeStateMachineForExecution: (body): Wire<DescribeStateMachineForExecutionOutput> => {
      const record = executionByArn(parseRequest(executionArnRequest, body).executionArn);
      const machine = machineByArn(record.stateMachineArn);
      const { stateMachineArn, name, definition, roleArn: role, creationDate } = describeMachine(machine);
      return { stateMachineArn, name, definition, roleArn: role, updateDate: creationDate };
    },

    StartExecution: (body): Wire<StartExecutionOutput> => {
      const request = parseRequest(startExecutionRequest, body);
      const machine = machineByArn(request.stateMachineArn);
      const name = request.name ?? randomUUID();
      const nameProblem = invalidNameReason(name);
      if (nameProblem) throw new SfnServiceError('InvalidName', nameProblem);
      const input = request.input ?? '{}';
      if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
        throw new SfnServiceError('InvalidExecutionInput', `Execution input exceeds the maximum size of ${MAX_INPUT_BYTES} bytes`);
      }
      if (!tryParseJson(input)) {
        throw new SfnServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input.slice(0, 200)}'`);
      }
      const outcome = engine.start(machine, name, input);
      if (outcome.kind === 'conflict') {
        throw new SfnServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${outcome.record.executionArn}'`);
      }
      return { executionArn: outcome.record.executionArn, startDate: epochSeconds(outcome.record.startDate) };
    },

    DescribeExecution: (body) => {
      const request = parseRequest(describeExecutionRequest, body);
      return describeExecution(executionByArn(request.executionArn), request.includedData !== 'METADATA_ONLY');
    },

    StopExecution: (body): Wire<StopExecutionOutput> => {
      const request = parseRequest(stopExecutionRequest, body);
      const record = executionByArn(request.executionArn);
      engine.stop(record, request.error, request.cause);
      return { stopDate: epochSeconds(record.stopDate ?? Date.now()) };
    },

    ListExecutions: (body): Wire<ListExecutionsOutput> => {
      const request = parseRequest(listExecutionsRequest, body);
      if (!request.stateMachineArn) {
        throw new SfnServiceError('ValidationException', 'The local endpoint lists executions by stateMachineArn only');
      }
      const machine = machineByArn(request.stateMachineArn);
      let records = engine.list(machine.arn);
      if (request.statusFilter) records = records.filter((record) => record.status === request.statusFilter);
      if (request.nextToken) {
        const after = decodeToken(executionsToken, request.nextToken);
        records = records.filter(
          (record) =>
            record.startDate < after.startDate || (record.startDate === after.startDate && record.executionArn < after.executionArn),
        );
      }
      const page = records.slice(0, pageSize(request.maxResults));
      const last = page.at(-1);
      return {
        executions: page.map(executionListItem),
        nextToken:
          last && records.length > page.length
            ? encodeToken({ startDate: last.startDate, executionArn: last.executionArn })
            : undefined,
      };
    },

    GetExecutionHistory: (body): Wire<GetExecutionHistoryOutput> => {
      const request = parseRequest(getExecutionHistoryRequest, body);
      const record = executionByArn(request.executionArn);
      const reverse = request.reverseOrder ?? false;
      let events = reverse ? [...record.history].reverse() : record.history;
      if (request.nextToken) {
        const token = decodeToken(historyToken, request.nextToken);
        if (token.reverse !== reverse) throw new SfnServiceError('InvalidToken', 'The token was issued for the other reverseOrder');
        events = events.filter((event) => (reverse ? event.id < token.afterId : event.id > token.afterId));
      }
      const page = events.slice(0, pageSize(request.maxResults));
      const last = page.at(-1);
      const includeData = request.includeExecutionData ?? true;
      return {
        events: page.map((event) => wireEvent(includeData ? event : withoutExecutionData(event))),
        nextToken: last && events.length > page.length ? encodeToken({ afterId: last.id, reverse }) : undefined,
      };
    },
  };
  return new Map(Object.entries(actions));
}
