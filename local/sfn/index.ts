/**
 * A local AWS Step Functions endpoint: the real SFN JSON API (for an unmodified
 * @aws-sdk/client-sfn), executions run with aws-local-stepfunctions, Tasks mapped to in-process
 * functions. See docs/local-step-functions.md.
 */
export { startStepFunctions } from './server';
export type { LocalStateMachine, LocalStepFunctionsOptions, LocalTaskFunction, RunningStepFunctions } from './types';
