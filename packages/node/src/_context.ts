import type { Context } from '@gatehouse/core';
import { clientAddress } from './_client-address.ts';
import type { ErrorHook, TrustProxy } from './options.ts';
import type { IncomingRequest } from './types.ts';

/** Work an App handed to `waitUntil`, so that a graceful close can wait for it. */
export class PendingWork {
  readonly #pending = new Set<Promise<unknown>>();
  #onError: ErrorHook;

  constructor(onError: ErrorHook) {
    this.#onError = onError;
  }

  /** Track `promise`; a failure goes to the error hook with the request that started it. */
  add(promise: Promise<unknown>, req: IncomingRequest): void {
    const tracked: Promise<unknown> = Promise.resolve(promise).then(
      () => this.#pending.delete(tracked),
      (error: unknown) => {
        this.#pending.delete(tracked);
        this.#onError(error, req);
      },
    );
    this.#pending.add(tracked);
  }

  /** Resolves once everything added so far, and anything it adds, has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled(this.#pending);
  }
}

const NO_PROPS: Readonly<Record<string, never>> = Object.freeze({});

/** The Context of one request on Node. */
export class NodeContext implements Context {
  readonly runtime = 'node';
  readonly props: Readonly<Record<string, never>> = NO_PROPS;
  /** @internal */ readonly _req: IncomingRequest;
  /** @internal */ readonly _trust: TrustProxy;
  /** @internal */ readonly _work: PendingWork;
  /** @internal The socket forgets its peer once closed: kept from the start. */
  readonly _peer: string | undefined;

  constructor(req: IncomingRequest, trust: TrustProxy, work: PendingWork) {
    this._req = req;
    this._trust = trust;
    this._work = work;
    this._peer = req.socket.remoteAddress;
  }

  get clientAddress(): string | undefined {
    return clientAddress(this._req, this._peer, this._trust);
  }

  waitUntil(promise: Promise<unknown>): void {
    this._work.add(promise, this._req);
  }

  passThroughOnException(): void {}
}
