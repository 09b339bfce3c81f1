/** How the handler maps an event's path. */
export interface PathOptions {
  /**
   * Drop a named stage from an HTTP API's `rawPath` (`/prod/users` →
   * `/users`), as REST APIs do on their own. Defaults to `true`.
   */
  stripStage?: boolean;
  /** A prefix to drop from every path, e.g. a custom domain's base path mapping (`/v1`). */
  basePath?: string;
}
