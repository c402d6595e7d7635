/**
 * The AWS CLI v2 (Debian's `awscli`, /usr/bin/aws: a pyenv `aws` v1 may shadow it on PATH)
 * against the local cloud's endpoints with dummy credentials: server-side paging of the EKS
 * and Auto Scaling lists, Step Functions executions and DynamoDB scans (each page one HTTP
 * request, counted in the CLI's --debug log), launch failures as the CLI shows them, and
 * Secrets Manager. Skips only when /usr/bin/aws is absent.
 * npm-start-clients.test.ts drives the same CLI against `npm start` itself.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { CLUSTER, startTestCloud, TABLE, waitFor, type TestCloud } from '../support/local-cloud';

const AWS_CLI = '/usr/bin/aws';
const present = existsSync(AWS_CLI);
if (!present) console.warn(`SKIPPED aws-cli suite: ${AWS_CLI} is absent (apt-get install awscli)`);

const run = promisify(execFile);
let t: TestCloud;

const aws = async (endpoint: string, args: string[], debug = false): Promise<{ json: any; requests: (operation: string) => number }> => {
  const { stdout, stderr } = await run(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', ...(debug ? ['--debug'] : []), ...args], {
    env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    json: stdout.trim() ? JSON.parse(stdout) : {},
    // botocore logs one "Making request for OperationModel(name=X)" per HTTP call.
    requests: (operation) => (stderr.match(new RegExp(`Making request for OperationModel\\(name=${operation}\\)`, 'g')) ?? []).length,
  };
};

describe.skipIf(!present)('AWS CLI v2 against the local cloud', () => {
  let sim: string;
  beforeAll(async () => {
    t = await startTestCloud(0.01, { cron: false });
    sim = t.cloud.simulator.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('eks list-nodegroups --page-size 2 pages through nextToken and returns every group', async () => {
    const all = t.cloud.simulator.state().nodeGroups.length;
    const { json, requests } = await aws(sim, ['eks', 'list-nodegroups', '--cluster-name', CLUSTER, '--page-size', '2'], true);
    expect(json.nodegroups).toHaveLength(all);
    expect(new Set(json.nodegroups).size).toBe(all);
    expect(requests('ListNodegroups')).toBe(Math.ceil(all / 2));
  });

  it('a bad nextToken is InvalidParameterException', async () => {
    await expect(aws(sim, ['eks', 'list-nodegroups', '--cluster-name', CLUSTER, '--starting-token', 'bm90LWEtdG9rZW4'])).rejects.toThrow(/InvalidParameterException/);
  });

  it('autoscaling describe-auto-scaling-groups --page-size 1 pages through NextToken', async () => {
    const { json, requests } = await aws(sim, ['autoscaling', 'describe-auto-scaling-groups', '--page-size', '1'], true);
    expect(json.AutoScalingGroups.length).toBeGreaterThan(1);
    expect(requests('DescribeAutoScalingGroups')).toBe(json.AutoScalingGroups.length);
  });

  it('an injected launch failure shows in describe-nodegroup (health) and describe-scaling-activities (Failed), after update-nodegroup-config', async () => {
    const group = 'gpu-a10g-24gb';
    const fault = await t.addFault({ match: { nodeGroup: group }, fault: 'vcpu_limit_exceeded' });
    const update = await aws(sim, ['eks', 'update-nodegroup-config', '--cluster-name', CLUSTER, '--nodegroup-name', group, '--scaling-config', 'desiredSize=1']);
    expect(update.json.update.status).toBe('InProgress');
    const described = await aws(sim, ['eks', 'describe-nodegroup', '--cluster-name', CLUSTER, '--nodegroup-name', group]);
    const asgName: string = described.json.nodegroup.resources.autoScalingGroups[0].name;
    expect(described.json.nodegroup.health.issues).toEqual([
      { code: 'AsgInstanceLaunchFailures', message: expect.stringMatching(/^Could not launch On-Demand Instances\. VcpuLimitExceeded - You have requested more vCPU capacity/), resourceIds: [asgName] },
    ]);
    const activities = await aws(sim, ['autoscaling', 'describe-scaling-activities', '--auto-scaling-group-name', asgName]);
    expect(activities.json.Activities[0]).toMatchObject({ StatusCode: 'Failed', StatusMessage: expect.stringMatching(/vCPU limit of 0/) });
    // The quota is raised: Auto Scaling's next retry launches, the instance in service clears the issue.
    await t.removeFault(fault.id);
    await waitFor(async () => (await aws(sim, ['eks', 'describe-nodegroup', '--cluster-name', CLUSTER, '--nodegroup-name', group])).json.nodegroup.health.issues, (i) => i.length === 0, 'the issue to clear', 20_000, 300);
    const instances = await aws(sim, ['autoscaling', 'describe-auto-scaling-instances', '--page-size', '1']);
    expect(instances.json.AutoScalingInstances.some((i: { AutoScalingGroupName: string }) => i.AutoScalingGroupName === asgName)).toBe(true);
    await waitFor(
      () => aws(sim, ['eks', 'update-nodegroup-config', '--cluster-name', CLUSTER, '--nodegroup-name', group, '--scaling-config', 'desiredSize=0']).then(() => true, () => false),
      (ok) => ok,
      'scale back to 0',
      10_000,
      200,
    );
  }, 60_000);

  it('stepfunctions list-executions --page-size 1 and dynamodb scan --page-size 1 page through their tokens; dynamodb query and secretsmanager describe-secret', async () => {
    // Three deploys, three executions of the deploy state machine: enough for list-executions to page.
    const deployed = await Promise.all(['m-awscli', 'm-awscli-2', 'm-awscli-3'].map((name) => t.api('POST', '/api/v1beta1/orgs/org-acme/projects/prj-web/aimodels', { body: qwenBody(name) })));
    for (const response of deployed) expect(response.status, JSON.stringify(response.body)).toBe(201);
    const created = deployed[0]!;
    const arns = deployed.map((response) => response.body.workflow.execution_arn as string);
    const executions = await aws(t.cloud.sfnUrl, ['stepfunctions', 'list-executions', '--state-machine-arn', t.cloud.stateMachineArns.deploy, '--page-size', '1'], true);
    const listed: string[] = executions.json.executions.map((e: { executionArn: string }) => e.executionArn);
    expect(listed).toEqual(expect.arrayContaining(arns));
    expect(new Set(listed).size).toBe(listed.length);
    expect(executions.requests('ListExecutions')).toBe(listed.length);

    // The table stands still once the deploys are done (no schedules run here), so two scans see the same items.
    for (const response of deployed) {
      await waitFor(() => t.api('GET', `/api/v1beta1/orgs/org-acme/projects/prj-web/aimodels/${response.body.id}`), (r) => r.body.status === 'ready', `${response.body.name} to be ready`, 30_000, 200);
    }
    const whole = await aws(t.cloud.dynamoUrl, ['dynamodb', 'scan', '--table-name', TABLE, '--no-paginate']);
    const paged = await aws(t.cloud.dynamoUrl, ['dynamodb', 'scan', '--table-name', TABLE, '--page-size', '1'], true);
    const keys = (items: { pk: { S: string }; sk: { S: string } }[]) => items.map((item) => `${item.pk.S} ${item.sk.S}`).sort();
    expect(whole.json.Items.length).toBeGreaterThanOrEqual(3);
    expect(keys(paged.json.Items)).toEqual(keys(whole.json.Items));
    // A page that fills its Limit carries LastEvaluatedKey even when nothing follows, as in DynamoDB: one last, empty page.
    expect(paged.requests('Scan')).toBe(whole.json.Items.length + 1);

    const query = await aws(t.cloud.dynamoUrl, [
      'dynamodb', 'query', '--table-name', TABLE,
      '--key-condition-expression', 'pk = :pk AND begins_with(sk, :dep)',
      '--expression-attribute-values', JSON.stringify({ ':pk': { S: 'TENANT#org-acme#prj-web' }, ':dep': { S: `DEP#${created.body.id}` } }),
    ]);
    expect(query.json.Items).toHaveLength(1);
    expect(query.json.Items[0].gpu_config_id).toEqual({ S: 'l4-24gb' });

    const secrets = t.cloud.secretsManager.url;
    const name = 'gpu-control-plane/aws-cli-check';
    await aws(secrets, ['secretsmanager', 'create-secret', '--name', name, '--secret-string', 'not-shown']);
    const described = await aws(secrets, ['secretsmanager', 'describe-secret', '--secret-id', name]);
    expect(described.json.Name).toBe(name);
    expect(JSON.stringify(described.json)).not.toContain('not-shown');
    await aws(secrets, ['secretsmanager', 'delete-secret', '--secret-id', name, '--force-delete-without-recovery']);
  }, 60_000);
});
