// The origin as an AWS Lambda function: the App of app.ts behind any HTTP
// event source (a Function URL, API Gateway, an ALB).
import { handler as lambdaHandler } from '@gatehouse/lambda';
import { app } from './app.ts';

export const handler = lambdaHandler(app);
