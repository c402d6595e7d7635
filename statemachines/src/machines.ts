/** Every generated machine, by workflow; contract/workflows.ts STATE_MACHINES names the file each is committed as. */
import { STATE_MACHINES } from '../../contract/workflows';
import type { WorkflowName } from '../../contract/routes';
import { render, type Machine } from './builder';
import { del } from './delete';
import { deploy } from './deploy';
import { scale } from './scale';

const BY_WORKFLOW: Record<WorkflowName, Machine> = { deploy, scale, delete: del };

/** Each machine with its file (relative to the repository root) and the text that file must hold. */
export const generatedMachines = (): { file: string; machine: Machine; text: string }[] =>
  STATE_MACHINES.map(({ workflow, file }) => ({ file, machine: BY_WORKFLOW[workflow], text: render(BY_WORKFLOW[workflow]) }));
