/**
 * The "what the local cloud enforces, and what is still kinder than AWS" section of
 * docs/reliability.md: gathered from docs/local-iam.md and docs/simulator.md (the sources of
 * truth; update them first, then this summary).
 */
export const ENFORCEMENT = `## What the local cloud enforces, and what is still kinder than AWS

Every figure above ran against the local cloud, so it is worth as much as the local cloud is
strict. Details: [local-iam.md](local-iam.md), [simulator.md](simulator.md).

Enforced (a mistake here fails locally where it would fail in an account):

- **IAM from the synthesized template.** Each AWS call a function makes (DynamoDB, Step
  Functions, Secrets Manager and its KMS calls, EKS, Auto Scaling) is evaluated against the
  identity policies the CDK app synthesizes for that function's role (Allow/Deny, NotAction,
  resource ARNs, conditions), and refused in the service's own error shape.
- **Kubernetes RBAC from the access entries.** The API server authenticates a function as its
  role's EKS access entry (a role without one gets 401) and authorizes every request with the
  EKS access policies and the RBAC objects of the stack's cluster bootstrap, answering
  kube-apiserver's 403 Status.
- **The API server's own rules**: validation (names, labels, selectors, GPU requests vs
  limits), Status errors, PATCH flavours and server-side apply, resourceVersion, graceful pod
  deletion and finalizers, cascading deletes, discovery and OpenAPI (kubectl works against it).
- **Nodes as EKS runs them**: the system DaemonSets (VPC CNI, kube-proxy, Pod Identity agent,
  EBS CSI node) take their requests from every node, placed by the default scheduler; the
  NVIDIA device plugin advertises \`nvidia.com/gpu\` only 15 s (scaled) after the node is Ready,
  so GPU pods wait Pending with kube-scheduler's message; taints, cordons and node affinity.
- **Launch failures as EKS and Auto Scaling report them** (InsufficientInstanceCapacity,
  vCPU limit, unsupported instance type, no free addresses): failed scaling activities and an
  \`AsgInstanceLaunchFailures\` health issue that persists until a launch succeeds, even at
  desired size 0; \`ResourceInUseException\` while a node group update runs.
- **Docker Hub pull limits** (\`toomanyrequests\`, \`ImagePullBackOff\` with the kubelet's
  10 s -> 300 s back-off) for docker.io images not yet on the node; gated Hugging Face
  repositories without a token fail like a 401.
- **Paging**: EKS and Auto Scaling lists page with opaque tokens and validate limits and tokens.
- **NetworkPolicies on the Service network**: the inference gateway reaches a model pod at
  \`<service>.<namespace>.svc.cluster.local\` only if the policies selecting the pod admit it;
  a refused connection is reset, as a policy drop looks; a Service without Ready endpoints
  refuses the connection, as kube-proxy's REJECT does.
- **Pod Security Admission and volumes**: a pod that fails its namespace's
  \`pod-security.kubernetes.io/enforce\` level (the model namespace is \`restricted\`) is refused
  with kube-apiserver's message, and its ReplicaSet records \`FailedCreate\`; a claim binds only
  through an existing \`ebs.csi.aws.com\` StorageClass, in its node's zone, attached to one node
  at a time.
- **Protocol faults on demand**: throttling in each AWS service's wire shape, Lambda task
  timeouts (\`Sandbox.Timedout\`), Kubernetes 429 with Retry-After, 500, 503 and dropped
  connections. Only the code's own retries count: the functions' Kubernetes client tries a 429
  or 5xx again three times (after Retry-After, at most 1 s) and gives up on a call after 10 s,
  and a longer burst or a dropped connection fails the task for the ASL Retry; the AWS SDK
  clients retry throttling with at most 750 ms of back-off per call, and an API request whose
  call still fails answers 503 with Retry-After.
- **The gateway**: JWT authorizer, 1 MB bodies, API Gateway's error shapes, the Lambda timeout.

Still kinder than AWS:

- No SigV4: requests are not signed or verified, and the caller header that names a function is
  trusted; Kubernetes bearer tokens are not checked either (identity comes from that header).
- Identity policies only: no KMS key policies or other resource policies, permission
  boundaries, SCPs or session policies; the managed policies (logs, X-Ray) are not evaluated.
- The launch retry cadence (10 s doubling to 300 s, next AZ each time) is an approximation: AWS
  does not publish it. Throttle messages use the usual wording, not each service's exact text.
- A Lambda timeout is injected after the function finished (a real one cuts it mid-way); an API
  handler that outlives the gateway's timeout keeps running in-process, where Lambda would
  freeze it.
- Every function runs in one Node process: module state and the logger's context are shared
  (under the chaos run a task's log line can carry another function's name), where Lambda
  isolates containers. A StartExecution that answered is not durable across a SIGKILL of
  \`npm start\` (see the crash section).
- No pod network: NetworkPolicies filter only the Service network (the gateway's traffic), not
  the API server's service proxy; Pod Security Admission is enforced, without audit mode or
  exemptions;
  PodDisruptionBudgets are served and validated, but evictions ignore them; RBAC escalation
  checks and aggregated ClusterRoles are not modelled; server-side apply has no field-ownership
  conflicts.
- DaemonSets have no ControllerRevisions, \`maxSurge\` or failed-pod back-off; init containers
  do not run; CoreDNS and the EBS CSI controller are not simulated.
- DynamoDB (dynalite) has no capacity of its own: throttling happens only when injected.
- The model servers are simulated (no GPUs, no vLLM): timings come from the scaled delays.
`;
