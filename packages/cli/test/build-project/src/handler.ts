import { handler as lambdaHandler } from '@gatehouse/lambda';
import { app } from './app.ts';

export const handler = lambdaHandler(app);
