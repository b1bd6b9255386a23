// vitest setupFiles: after each test file, remove the scratch directories the helpers made for it and it did not
// remove itself (client configs written by clientConfigFor, sims' insecure configs).
import { afterAll } from 'vitest';
import { removeScratchDirs } from './scratch.js';

afterAll(() => removeScratchDirs());
