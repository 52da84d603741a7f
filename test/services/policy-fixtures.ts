/**
 * Policy documents and people for the policy service tests: a policy with one segment (`admins`)
 * for a group and a permissive default, and onboarding someone into groups first.
 */
import type { TesseraServices } from '../../src/services/contract.js';
import { ServiceError } from '../../src/services/errors.js';
import { type Enrolled, type EnrolOptions, enrol, uniqueUsername } from './harness.js';

export const EVERY_CLASS = '[synced-passkey, device-bound-passkey, security-key, device-bound-unverified]';

/**
 * A policy with one segment (`name`) for `group` — its requirements and rollout as YAML lines —
 * and a permissive default (plus `defaults`, YAML lines of its requirements).
 */
export function policyText(group: string, segment: string, defaults = '', name = 'admins'): string {
  return [
    'version: 1',
    'segments:',
    `  - name: ${name}`,
    `    groups: [${group}]`,
    ...segment
      .trim()
      .split('\n')
      .map((l) => `    ${l}`),
    'default:',
    '  requirements:',
    '    minAal: AAL2',
    `    allowedClasses: ${EVERY_CLASS}`,
    ...defaults
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `    ${l}`),
    '',
  ].join('\n');
}

/** Security keys with trusted attestation at AAL3. */
export const SECURITY_KEYS = `
requirements:
  minAal: AAL3
  allowedClasses: [security-key]
  attestationRequired: true
`;

/** A group name no other test uses. */
export function group(): string {
  return `g-${uniqueUsername('grp')}`;
}

/** people add --group G, then onboarding with a new software credential. */
export async function onboard(
  services: TesseraServices,
  options: EnrolOptions & { readonly groups: readonly string[] },
) {
  const { finished, ...enrolled } = await enrol(services, options);
  return { enrolled: enrolled as Enrolled, finished };
}

/** The ServiceError a call fails with (anything else fails the test). */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}
