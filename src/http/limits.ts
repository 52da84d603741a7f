/** Size limits of the HTTP layer, in a module of their own so routes can use them without a cycle. */

/** docs/http-api.md: bodies are limited to 64 KiB. */
export const BODY_LIMIT = 64 * 1024;
