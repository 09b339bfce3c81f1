// Not an adapter: the least any Lambda adapter must do that hands the App a
// real Request and reads the real Response it returns (HTTP API events only,
// no base64, no errors, no cookies, no deadline). The gap between this and
// an adapter is what the adapter adds.
interface Event {
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  requestContext: { http: { method: string } };
}

const app = {
  fetch: (request: Request) => new Response(`Hello, ${new URL(request.url).searchParams.get('name')}!`),
};

export const handler = async (event: Event): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> => {
  const request = new Request(`https://${event.headers.host}${event.rawPath}?${event.rawQueryString}`);
  for (const name in event.headers) request.headers.set(name, event.headers[name]!);
  const response = await app.fetch(request);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { statusCode: response.status, headers, body: await response.text() };
};
