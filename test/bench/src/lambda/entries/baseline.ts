// The App with no adapter: what a bundle costs before any adapter is added.
const app = {
  fetch: (request: Request) => new Response(`Hello, ${new URL(request.url).searchParams.get('name')}!`),
};

export const handler = (): Promise<Response> => Promise.resolve(app.fetch(new Request('https://x/hello?name=bench')));
