import { edgeHttp1RequestsRuntime } from './runtimes/edge.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(edgeHttp1RequestsRuntime);
