import { greeting } from './greeting.ts';

export default {
  fetch(request: Request): Response {
    return Response.json({ greeting, path: new URL(request.url).pathname });
  },
};
