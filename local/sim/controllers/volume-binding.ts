/**
 * PersistentVolumeClaim binding, as kube-controller-manager's PV controller and the EBS CSI
 * driver's external-provisioner do it on EKS (the only provisioner this cluster runs is
 * `ebs.csi.aws.com`, the aws-ebs-csi-driver add-on):
 *
 * - no class (and no default class): Pending, `FailedBinding` (no PersistentVolumes exist to bind statically);
 * - a class that does not exist: Pending, `ProvisioningFailed` naming it;
 * - a class of another provisioner: Pending, `ExternalProvisioning` (nobody answers);
 * - `WaitForFirstConsumer`: Pending (`WaitForFirstConsumer`, or `WaitForPodScheduled` once a pod
 *   uses it) until the scheduler picks a node for that pod (`volume.kubernetes.io/selected-node`);
 * - then, or at once for `Immediate`: provisioned and Bound to `pvc-<uid>`; a volume provisioned
 *   for a selected node stays in that node's availability zone (the scheduler keeps its pods there).
 *
 * PersistentVolume objects are not served: the claim's spec.volumeName names the volume.
 */
import type { SimContext } from '../context.js';
import { POD } from '../apiserver/resources.js';
import type { EventSource } from '../apiserver/host.js';
import { eventRecorded } from '../apiserver/events.js';
import type { KubeObject, Pod } from '../apiserver/types.js';
import { claimClass, claimPhase, claimSpec, podClaimNames, PVC_PLURAL, SELECTED_NODE_ANNOTATION } from '../apiserver/volumes.js';

const EBS_PROVISIONER = 'ebs.csi.aws.com';
const PVC_TYPE = { plural: PVC_PLURAL, group: '', kind: 'PersistentVolumeClaim' };

/**
 * The PV controller re-syncs a Pending claim every 15 s and emits its event each time; here each
 * distinct event is recorded once, so a claim that stays Pending does not spin the reconcile loop.
 */
const recordOnce = (world: SimContext, claim: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource): void => {
  if (!eventRecorded(world.store, claim, reason, message)) world.events.record(claim, type, reason, message, source);
};

/** The zone label of nodes (and, on EKS, of the EBS volumes provisioned for them). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

const bind = (world: SimContext, claim: KubeObject): void => {
  // EBS volumes live in one AZ: a volume provisioned for a selected node is pinned to that node's zone.
  const selected = claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
  const zone = selected ? world.store.get('nodes', undefined, selected)?.metadata.labels?.[ZONE_LABEL] : undefined;
  if (zone) (world.state.volumeZones ??= {})[claim.metadata.uid] = zone;
  const volumeName = `pvc-${claim.metadata.uid}`;
  const claimName = `${claim.metadata.namespace ?? ''}/${claim.metadata.name}`;
  recordOnce(
    world,
    claim,
    'Normal',
    'ExternalProvisioning',
    `Waiting for a volume to be created either by the external provisioner '${EBS_PROVISIONER}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    'persistentvolume-controller',
  );
  recordOnce(world, claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimName}"`, EBS_PROVISIONER);
  world.store.mutate(PVC_TYPE, claim.metadata.namespace, claim.metadata.name, (draft) => {
    const spec = claimSpec(draft);
    spec.volumeName = volumeName;
    draft.metadata.annotations = {
      ...(draft.metadata.annotations ?? {}),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': EBS_PROVISIONER,
      'volume.kubernetes.io/storage-provisioner': EBS_PROVISIONER,
    };
    draft.status = { phase: 'Bound', accessModes: spec.accessModes, capacity: { storage: spec.resources?.requests?.storage } };
  });
  recordOnce(world, claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`, EBS_PROVISIONER);
};

const syncPendingClaim = (world: SimContext, claim: KubeObject, pods: Pod[]): void => {
  const { name, storageClass } = claimClass(world.store, claim);
  if (!name) {
    recordOnce(world, claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set', 'persistentvolume-controller');
    return;
  }
  if (!storageClass) {
    recordOnce(world, claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${name}" not found`, 'persistentvolume-controller');
    return;
  }
  if (storageClass.volumeBindingMode === 'WaitForFirstConsumer' && !claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) {
    const waiting = pods
      .filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp && podClaimNames(p).includes(claim.metadata.name))
      .map((p) => p.metadata.name);
    if (waiting.length === 0) recordOnce(world, claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding', 'persistentvolume-controller');
    else recordOnce(world, claim, 'Normal', 'WaitForPodScheduled', `waiting for ${pluralPods(waiting)} to be scheduled`, 'persistentvolume-controller');
    return;
  }
  if (storageClass.provisioner !== EBS_PROVISIONER) {
    recordOnce(
      world,
      claim,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${String(storageClass.provisioner)}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      'persistentvolume-controller',
    );
    return;
  }
  bind(world, claim);
};

const pluralPods = (names: string[]): string => (names.length === 1 ? `pod ${names[0] ?? ''}` : `pods ${names.join(',')}`);

export const reconcileVolumeClaims = (world: SimContext, _now: number): void => {
  // A deleted claim's volume goes with it (reclaimPolicy Delete).
  for (const uid of Object.keys(world.state.volumeZones ?? {})) {
    if (world.store.byUid(uid) === undefined) {
      delete world.state.volumeZones?.[uid];
      world.touch();
    }
  }
  const claims = world.store.list(PVC_PLURAL).filter((c) => !c.metadata.deletionTimestamp && claimPhase(c) === 'Pending');
  if (claims.length === 0) return;
  const pods = world.store.list<Pod>(POD.plural);
  for (const claim of claims) syncPendingClaim(world, claim, pods.filter((p) => p.metadata.namespace === claim.metadata.namespace));
};
