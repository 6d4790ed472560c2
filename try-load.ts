import { loadScenario } from './src/sandbox/scenario/loader.js';
import { resolveKubernetesObjects } from './src/sandbox/scenario/expand.js';
const s = loadScenario(process.argv[2]!);
const objs = resolveKubernetesObjects(s, new Date('2026-03-10T14:00:00Z'));
console.log(s.name, objs.length, JSON.stringify(objs.find(o => o.kind === 'Pod')).slice(0, 900));
