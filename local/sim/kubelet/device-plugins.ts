import type { SimContext } from '../context.js';
import { NODE } from '../apiserver/resources.js';
import type { Node } from '../apiserver/types.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';

/**
 * The NVIDIA device plugin of the Bottlerocket NVIDIA image registers with the kubelet some
 * seconds after the node is Ready (the host's nvidia-device-plugin service starts after the
 * kubelet). A node registers without extended resources, so until then its status has no
 * `nvidia.com/gpu` at all (which kube-scheduler reads as 0: "Insufficient nvidia.com/gpu");
 * then the kubelet adds the plugin's devices to capacity and allocatable.
 */
export const registerDevicePlugins = (world: SimContext, now: number): void => {
  for (const node of world.store.list<Node>(NODE.plural)) {
    if (node.status.capacity[GPU_RESOURCE] !== undefined) continue;
    const instance = world.instanceByNodeName(node.metadata.name);
    const group = instance ? world.nodeGroup(instance.group) : undefined;
    if (!instance || !group || instance.lifecycle !== 'InService' || !(group.config.gpusPerNode > 0)) continue;
    const due = instance.bootedAt + world.ms(world.delays.devicePluginRegistration);
    if (due > now) {
      world.wakeAt(due);
      continue;
    }
    const gpus = String(group.config.gpusPerNode);
    world.store.mutate<Node>(NODE, undefined, node.metadata.name, (draft) => {
      draft.status.capacity = { ...draft.status.capacity, [GPU_RESOURCE]: gpus };
      draft.status.allocatable = { ...draft.status.allocatable, [GPU_RESOURCE]: gpus };
    });
  }
};
