import { edgeHttp1Runtime } from './runtimes/edge.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(edgeHttp1Runtime);
