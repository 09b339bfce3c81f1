import { nodeRuntime } from './runtimes/node.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(nodeRuntime);
