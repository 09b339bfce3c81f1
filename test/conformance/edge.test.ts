import { edgeRuntime } from './runtimes/edge.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(edgeRuntime);
