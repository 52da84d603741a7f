/**
 * The acr the OpenID Provider asserts for a level and the acr the assurance policy says that level
 * reaches are one mapping (src/oidc/acr.ts, src/policy/evaluate.ts ACR_LEVELS): an ID token never
 * claims what the policy would refuse, nor the reverse.
 */
import { describe, expect, it } from 'vitest';
import { ACR_VALUES, acrFor, meets, requestedAcr } from '../../src/oidc/acr.js';
import { ACR_LEVELS, acrForLevel } from '../../src/policy/index.js';
import type { AssuranceLevel } from '../../src/trust/assessment.js';

const LEVELS: readonly AssuranceLevel[] = ['AAL1', 'AAL2', 'AAL3'];

describe('acr values', () => {
  it('the provider and the policy map every level to the same acr', () => {
    for (const level of LEVELS) expect(acrFor(level)).toBe(acrForLevel(level));
    expect(Object.keys(ACR_LEVELS).sort()).toEqual([...ACR_VALUES].sort());
  });

  it('a level meets an acr exactly when the policy says it reaches it', () => {
    const rank = { AAL1: 1, AAL2: 2, AAL3: 3 } as const;
    for (const level of LEVELS)
      for (const acr of ACR_VALUES) {
        const needs = ACR_LEVELS[acr];
        expect(needs).toBeDefined();
        expect(meets(acrFor(level), acr), `${level} meets ${acr}`).toBe(rank[level] >= rank[needs ?? 'AAL3']);
      }
  });

  it('reads the weakest acceptable value of acr_values and an essential acr claim', () => {
    expect(requestedAcr({ acr_values: 'phrh phr' })).toBe('phr');
    expect(requestedAcr({ acr_values: 'urn:unknown phrh' })).toBe('phrh');
    expect(requestedAcr({ acr_values: 'urn:unknown' })).toBeUndefined();
    expect(
      requestedAcr({ claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['phrh'] } } }) }),
    ).toBe('phrh');
    expect(
      requestedAcr({ claims: JSON.stringify({ id_token: { acr: { values: ['phrh'] } } }) }),
    ).toBeUndefined();
    expect(requestedAcr({ claims: '{not json' })).toBeUndefined();
  });
});
