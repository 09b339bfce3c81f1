import { workerdRuntime } from './runtimes/workerd.ts';
import { describeConformance } from './src/suite.ts';

describeConformance(workerdRuntime);
