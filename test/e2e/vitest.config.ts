import { slowSuite } from '../../vitest.shared.ts';

export default slowSuite;
