export { PROTOCOL, type RequestEnvelope } from '../../../src/protocol/index.js';
import { emptyFilter } from '../../../src/filter/index.js';
export const emptyFilterForTests = emptyFilter;
