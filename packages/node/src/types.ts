import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** A request as Node's HTTP/1 or HTTP/2 (compatibility API) server hands it over. */
export type IncomingRequest = IncomingMessage | Http2ServerRequest;

/** The response object that goes with an {@link IncomingRequest}. */
export type OutgoingResponse = ServerResponse | Http2ServerResponse;

/** A request listener for `http.createServer`, `https.createServer` or `http2.createServer`. */
export type RequestListener = (req: IncomingRequest, res: OutgoingResponse) => void;
