import { PAYLOAD_LIMIT } from '@gatehouse/lambda/emulator';
import { BUFFERED, lambdaRuntime, lambdaRuntimeApiRuntime, lambdaStreamingRuntime } from './runtimes/lambda.ts';
import { describeConformance } from './src/suite.ts';

// Each source, with what its platform gives up: REST APIs, multi-value ALBs
// and Lattice v2 group repeated query keys; a single-value ALB keeps only
// the last value of a repeated header or key.
describeConformance(lambdaRuntime('rest', { groupsQueryKeys: true }));
describeConformance(lambdaRuntime('http'));
describeConformance(lambdaRuntime('function-url'));
describeConformance(lambdaRuntime('alb', { lastValueOnly: true }));
describeConformance(lambdaRuntime('alb-multi', { groupsQueryKeys: true }));
describeConformance(lambdaRuntime('lattice-v1'));
describeConformance(lambdaRuntime('lattice-v2', { groupsQueryKeys: true }));
describeConformance(lambdaStreamingRuntime('function-url'));
describeConformance(lambdaStreamingRuntime('rest', { groupsQueryKeys: true }));

// The whole path, as on AWS: front door → event → Runtime API → a bundled
// function in its own process, buffered and streaming.
describeConformance(lambdaRuntimeApiRuntime('handler', 'http', BUFFERED));
describeConformance(lambdaRuntimeApiRuntime('streaming', 'function-url', { requestBody: PAYLOAD_LIMIT, buffersRequest: true }));
