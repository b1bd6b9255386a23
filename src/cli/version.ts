import { readFileSync } from 'node:fs';
import { packageRoot } from '../protocol/package-root.js';

export const VERSION_STRING = (JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string }).version;
