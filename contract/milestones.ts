/** Cold-start milestones of a deployment, stamped once each, in this order: the keys of its `timeline`. */
export const MILESTONES = ['accepted', 'capacity_reserved', 'nodes_ready', 'scheduled', 'image_pulled', 'model_loading', 'ready'] as const;
