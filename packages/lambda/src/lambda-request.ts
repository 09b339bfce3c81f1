/**
 * The Request an App receives on Lambda: a real `Request` whose `signal`
 * aborts shortly before the invocation's deadline, so the App can stop
 * cleanly instead of being frozen mid-work. The signal, and its timer,
 * are made only if the App asks for it.
 */
export class LambdaRequest extends Request {
  /** @internal */ declare _controller: AbortController | undefined;
  /** @internal */ declare _timer: ReturnType<typeof setTimeout> | undefined;
  /** @internal */ declare _gone: boolean;
  /** @internal When to abort, in Date.now() time. */ _abortAt: number;

  /** @internal */
  constructor(url: string, init: RequestInit | undefined, abortAt: number) {
    super(url, init);
    this._abortAt = abortAt;
  }

  /** @internal The invocation is over: the deadline no longer matters. */
  _end(): void {
    if (this._timer !== undefined) clearTimeout(this._timer);
  }

  /** @internal The client left mid-response (streaming): abort now, or as soon as the signal is made. */
  _disconnect(): void {
    this._gone = true;
    this._controller?.abort(new DOMException('The client closed the connection', 'AbortError'));
  }
}

LambdaRequest.prototype._controller = undefined;
LambdaRequest.prototype._timer = undefined;
LambdaRequest.prototype._gone = false;

Object.defineProperty(LambdaRequest.prototype, 'signal', {
  configurable: true,
  enumerable: true,
  get(this: LambdaRequest): AbortSignal {
    if (this._controller === undefined) {
      const controller = (this._controller = new AbortController());
      const abort = (): void =>
        controller.abort(new DOMException('The Lambda invocation is about to time out', 'TimeoutError'));
      const wait = this._abortAt - Date.now();
      if (this._gone) controller.abort(new DOMException('The client closed the connection', 'AbortError'));
      else if (wait <= 0) abort();
      else this._timer = setTimeout(abort, wait);
    }
    return this._controller.signal;
  },
});
