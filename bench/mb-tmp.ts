import { moddableBench } from './moddable.ts';
const r = await moddableBench({ zones: [8], events: 200 });
console.log(JSON.stringify(r));
process.exit(0);
