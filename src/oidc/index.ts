/** The OpenID Provider (oidc-provider under /oidc), mounted by `tessera serve` (see ./routes.ts). */
export { ACR_VALUES, type Acr, acrFor } from './acr.js';
export { createProvider, INTERACTION_PATH, OIDC_PATH, type OidcSettings } from './provider.js';
export { type InteractionAnswer, type OidcRouteOptions, oidcRoutes, providerSource } from './routes.js';

/** The issuer for a server whose public URL is `origin`. */
export function issuerFor(origin: string): string {
  return `${origin}/oidc`;
}
