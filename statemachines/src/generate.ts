/** `npm run statemachines`: writes statemachines/*.asl.json from statemachines/src/. */
import { writeFileSync } from 'node:fs';
import { generatedMachines } from './machines';

const root = new URL('../../', import.meta.url);
for (const { file, text } of generatedMachines()) {
  writeFileSync(new URL(file, root), text);
  console.log(`wrote ${file}`);
}
