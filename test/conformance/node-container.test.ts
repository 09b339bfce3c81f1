import { nodeContainerRuntime } from './runtimes/node-container.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(nodeContainerRuntime);
