import { handler as gatehouse } from '@gatehouse/lambda';

export const handler = gatehouse({
  fetch: (request: Request) => new Response(`Hello, ${new URL(request.url).searchParams.get('name')}!`),
});
