// tsc copies no assets: the sandbox viewer's static page goes into dist beside its module.
import { cpSync } from 'node:fs';
cpSync('src/sandbox/viewer/static', 'dist/sandbox/viewer/static', { recursive: true });
