import type { App } from '@gatehouse/core';

/** The App's module could not be loaded or holds no App: said plainly, without a stack. */
export class AppLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

/**
 * Import the App from its module: the default export, or an export named
 * `app`. A module that defines its App under another name is refused with
 * the names it does export, so the user sees what went wrong.
 */
export async function loadApp(url: string, needsScheduled: boolean): Promise<App<unknown>> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppLoadError(`could not load the App from ${displayPath(url)}: ${reason}`, { cause: error });
  }
  const candidate = module.default ?? module.app;
  if (!isApp(candidate)) {
    const names = Object.keys(module);
    const found = names.length === 0 ? 'it exports nothing' : `it exports ${names.join(', ')}`;
    throw new AppLoadError(
      `${displayPath(url)} has no App: export default (or export const app) an object with a fetch(request, env, ctx) method; ${found}`,
    );
  }
  if (needsScheduled && typeof candidate.scheduled !== 'function') {
    throw new AppLoadError(`crons are configured, but the App in ${displayPath(url)} has no scheduled(controller, env, ctx) method`);
  }
  return candidate;
}

function isApp(value: unknown): value is App<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { fetch?: unknown }).fetch === 'function'
  );
}

function displayPath(url: string): string {
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
}
