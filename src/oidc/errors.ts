/**
 * Errors of Tessera's own OpenID Provider routes (the login interaction). The protocol's errors
 * (`invalid_request`, `unmet_authentication_requirements`, …) come from oidc-provider per
 * OpenID Connect and RFC 6749; these are the JSON API answers around them, listed in docs/errors.md.
 */
export const OIDC_ERRORS = {
  interaction_not_found: {
    status: 404,
    message: 'This sign-in request has expired or was already used. Start again from the app.',
  },
} as const satisfies Record<string, { status: number; message: string }>;
