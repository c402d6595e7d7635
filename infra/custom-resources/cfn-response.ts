/**
 * The CloudFormation side of a Lambda-backed custom resource whose function is the service token
 * itself (no provider framework, so no extra function): run the work, then PUT the outcome to
 * the pre-signed ResponseURL. Every path answers, or the stack would wait an hour for a timeout.
 */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
}

export interface CustomResourceResult {
  readonly physicalResourceId: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** CloudFormation rejects response bodies above 4 KB; the reason is the only unbounded part. */
const MAX_REASON = 2000;

export const customResourceHandler =
  (work: (event: CustomResourceEvent) => Promise<CustomResourceResult>) =>
  async (event: CustomResourceEvent): Promise<void> => {
    let body: Record<string, unknown>;
    try {
      const result = await work(event);
      body = { Status: 'SUCCESS', PhysicalResourceId: result.physicalResourceId, Data: result.data ?? {} };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(JSON.stringify({ message: 'custom resource failed', requestType: event.RequestType, reason }));
      body = {
        Status: 'FAILED',
        Reason: reason.slice(0, MAX_REASON),
        // A failed Create has no id yet; the request id keeps a later Delete from touching anything real.
        PhysicalResourceId: event.PhysicalResourceId ?? `failed-${event.RequestId}`,
      };
    }
    const response = await fetch(event.ResponseURL, {
      method: 'PUT',
      // The pre-signed URL is signed without a content type.
      headers: { 'content-type': '' },
      body: JSON.stringify({ ...body, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId }),
    });
    if (!response.ok) throw new Error(`CloudFormation refused the response: HTTP ${response.status}`);
  };

/** A required string property of the resource, with the property name in the error. */
export const stringProperty = (event: CustomResourceEvent, name: string): string => {
  const value = event.ResourceProperties[name];
  if (typeof value !== 'string' || value === '') throw new Error(`Property ${name} is missing`);
  return value;
};
