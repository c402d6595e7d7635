/**
 * The state machines CDK deploys are the ASL files in statemachines/, unchanged, with every
 * `${Placeholder}` filled with the ARN of the task function it names. These tests read the real
 * files: if one is missing, the synth in beforeAll fails and names it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';
import { STATE_MACHINES, TASK_FUNCTIONS, stateMachineName, type StateMachineDefinition } from '../../contract/workflows';
import { DEFAULT_CONFIG, createControlPlaneApp } from '../../infra/stack';
import { synthContext } from './template';


type Json = Record<string, any>;

let resources: Record<string, Json>;
let assemblyDirectory: string;
let assetPaths: Record<string, string>;

const aslText = (definition: StateMachineDefinition): string => readFileSync(path.join(PROJECT_ROOT, definition.file), 'utf8');
const placeholdersIn = (text: string): string[] => [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1] ?? ''))].sort();

const stateMachine = (definition: StateMachineDefinition): Json => {
  const found = Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::StepFunctions::StateMachine' &&
      resource.Properties.StateMachineName === stateMachineName(DEFAULT_CONFIG.prefix, definition.workflow),
  );
  if (!found) throw new Error(`no ${definition.workflow} state machine in the template`);
  return found.Properties;
};

const functionArnOf = (taskName: string): Json => {
  const found = Object.entries(resources).find(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.FunctionName === `${DEFAULT_CONFIG.prefix}-${taskName}`,
  );
  if (!found) throw new Error(`no function for task ${taskName}`);
  return { 'Fn::GetAtt': [found[0], 'Arn'] };
};

/** Every state of a definition, including those inside Parallel branches and Map iterators. */
const allStates = (definition: Json): Json[] =>
  Object.values((definition.States ?? {}) as Record<string, Json>).flatMap((state) => [
    state,
    ...((state.Branches ?? []) as Json[]).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
    ...(state.Iterator ? allStates(state.Iterator) : []),
  ]);

beforeAll(() => {
  const { app, stack } = createControlPlaneApp({ context: synthContext() });
  resources = Template.fromStack(stack).toJSON().Resources;
  const assembly = app.synth();
  assemblyDirectory = assembly.directory;
  const manifest = JSON.parse(readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  assetPaths = Object.fromEntries(Object.entries(manifest.files).map(([hash, asset]) => [hash, asset.source.path]));
});

describe.each(STATE_MACHINES)('the $workflow state machine ($file)', (definition) => {
  it('has a substitution for every ${placeholder} in its ASL file, and none the file does not use', () => {
    const placeholders = placeholdersIn(aslText(definition));
    expect(placeholders.length).toBeGreaterThan(0);
    expect(Object.keys(stateMachine(definition).DefinitionSubstitutions).sort()).toEqual(placeholders);
  });

  it('fills each placeholder with the ARN of the task function that declares it', () => {
    const substitutions = stateMachine(definition).DefinitionSubstitutions as Json;
    for (const placeholder of placeholdersIn(aslText(definition))) {
      const task = TASK_FUNCTIONS.find((candidate) => candidate.substitution === placeholder);
      expect(task, `no task function declares \${${placeholder}}`).toBeDefined();
      expect(substitutions[placeholder]).toEqual(functionArnOf(task!.name));
    }
  });

  it('may invoke exactly the task functions its file uses, by unqualified ARN', () => {
    const roleId = stateMachine(definition).RoleArn['Fn::GetAtt'][0] as string;
    const invocable = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy' && resource.Properties.Roles.some((role: Json) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'))
      .flatMap((statement) => [statement.Resource].flat());
    const used = placeholdersIn(aslText(definition)).map((placeholder) => {
      const task = TASK_FUNCTIONS.find((candidate) => candidate.substitution === placeholder);
      return functionArnOf(task?.name ?? placeholder);
    });
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(invocable.sort(byJson)).toEqual(used.sort(byJson));
  });

  it('lists in STATE_MACHINES exactly the tasks its file uses', () => {
    const declared = definition.tasks.map((name) => TASK_FUNCTIONS.find((task) => task.name === name)?.substitution).sort();
    expect(declared, `STATE_MACHINES (${definition.workflow}).tasks in contract/workflows.ts vs the placeholders of ${definition.file}`).toEqual(
      placeholdersIn(aslText(definition)),
    );
  });

  it('is deployed from the ASL file byte for byte', () => {
    const location = stateMachine(definition).DefinitionS3Location as Json;
    const hash = String(location.Key).replace(/\.json$/, '');
    const staged = assetPaths[hash];
    expect(staged, `no asset ${hash} in the assembly`).toBeDefined();
    expect(readFileSync(path.join(assemblyDirectory, staged!), 'utf8')).toBe(aslText(definition));
  });

  it('is valid ASL JSON once substituted, and every Task invokes a substituted function ARN', () => {
    const arnOf = (placeholder: string) => `arn:aws:lambda:us-east-1:123456789012:function:${placeholder}`;
    const substituted = aslText(definition).replace(/\$\{([^}]*)\}/g, (_, placeholder: string) => arnOf(placeholder));
    const parsed = JSON.parse(substituted) as Json;
    const taskArns = new Set(placeholdersIn(aslText(definition)).map(arnOf));
    const tasks = allStates(parsed).filter((state) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      const target = task.Resource === 'arn:aws:states:::lambda:invoke' ? task.Parameters?.FunctionName ?? task.Arguments?.FunctionName : task.Resource;
      expect(taskArns, `Task resource ${String(target)}`).toContain(target);
    }
  });
});
