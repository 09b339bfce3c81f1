/**
 * A request's abort signal, made only when someone asks for it: most
 * requests end without anyone reading it, and an AbortController costs
 * about as much as the rest of a small request's objects. Both kinds of
 * request this package hands an App (`NodeRequest`, `NodeHead`) keep its
 * state in these two fields.
 */
export interface SignalHolder {
  _controller: AbortController | undefined;
  /** Why the request was aborted (a disconnect, a timeout); undefined while it runs. */
  _abortReason: DOMException | undefined;
}

/** The holder's signal, made now if it was not yet, already aborted if the request was. */
export function signalOf(holder: SignalHolder): AbortSignal {
  if (holder._controller === undefined) {
    holder._controller = new AbortController();
    if (holder._abortReason !== undefined) holder._controller.abort(holder._abortReason);
  }
  return holder._controller.signal;
}

/** Abort the holder's signal, now or when it is first read; the first reason stays. */
export function abortSignal(holder: SignalHolder, reason: DOMException): void {
  if (holder._abortReason !== undefined) return;
  holder._abortReason = reason;
  holder._controller?.abort(reason);
}

/** The reason a request is aborted with when its client goes away. */
export function disconnectReason(): DOMException {
  return new DOMException('The client closed the connection', 'AbortError');
}
