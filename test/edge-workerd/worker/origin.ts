// A second Worker reached through a service binding: an upstream with no URL.
export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    return Response.json({ via: 'service binding', path: url.pathname + url.search, xff: request.headers.get('x-forwarded-for') });
  },
};
