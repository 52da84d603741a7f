import { describe, expect, it } from 'vitest';
import { authenticationTooOld, remainingAuthenticationSeconds } from '../../src/oidc/acr.js';

const HOUR = 3600;
const now = 1_800_000_000;

describe('provider sessions respect the SP 800-63B-4 session limits of the level proved', () => {
  it('reuses an AAL3 (phrh) sign-in for under 12 hours only', () => {
    expect(authenticationTooOld(now - 12 * HOUR + 1, 'phrh', now)).toBe(false);
    expect(authenticationTooOld(now - 12 * HOUR, 'phrh', now)).toBe(true);
  });

  it('reuses an AAL2 (phr) sign-in for under 24 hours only', () => {
    expect(authenticationTooOld(now - 13 * HOUR, 'phr', now)).toBe(false);
    expect(authenticationTooOld(now - 24 * HOUR, 'phr', now)).toBe(true);
  });

  it('treats an unknown acr as AAL2 and a missing sign-in time as too old', () => {
    expect(authenticationTooOld(now - 20 * HOUR, 'urn:unknown', now)).toBe(false);
    expect(authenticationTooOld(now - 24 * HOUR, undefined, now)).toBe(true);
    expect(authenticationTooOld(undefined, 'phr', now)).toBe(true);
  });

  it('gives refresh tokens what remains of the sign-in’s limit, never less than a second', () => {
    expect(remainingAuthenticationSeconds(now - HOUR, 'phr', now)).toBe(23 * HOUR);
    expect(remainingAuthenticationSeconds(now - HOUR, 'phrh', now)).toBe(11 * HOUR);
    expect(remainingAuthenticationSeconds(now - 30 * HOUR, 'phr', now)).toBe(1);
    expect(remainingAuthenticationSeconds(undefined, 'phr', now)).toBe(1);
    // An unknown acr is held to the AAL2 limit, the longest Tessera gives.
    expect(remainingAuthenticationSeconds(now, 'urn:other', now)).toBe(24 * HOUR);
  });
});
