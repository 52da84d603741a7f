/**
 * Display names and icons for passkey providers that publish no FIDO metadata (Apple Passwords,
 * Google Password Manager, 1Password, …), from the community list
 * passkeydeveloper/passkey-authenticator-aaguids (`aaguid.json`), shipped as data in
 * `passkey-aaguids.json` (byte-identical copy of the snapshot of 2026-08-07: upstream commit
 * 47b6f84e, 52 entries, SHA-256 e9b7fe12…0e29d18; to update, replace the file).
 *
 * The list says it exists to name passkeys in account-management screens and is not for any other
 * purpose: it is used for `describe()` only, never for a trust decision. It may be retired, in
 * which case its maintainers publish `{}`: an empty or unusable list gives no names, not an error.
 * Each value is `{name, icon_dark?, icon_light?}`; icons are `data:image/…` URIs.
 */
import { type MetadataWarning, metadataWarning } from './errors.js';
import PASSKEY_AAGUIDS from './passkey-aaguids.json' with { type: 'json' };
import { normalizeAaguid } from './statement.js';

export interface PasskeyProvider {
  readonly aaguid: string;
  readonly name: string;
  readonly iconLight: string | null;
  readonly iconDark: string | null;
}

export interface PasskeyProviderList {
  readonly providers: ReadonlyMap<string, PasskeyProvider>;
  /** Entries that were skipped, with why. */
  readonly warnings: readonly MetadataWarning[];
}

/** Bounds: the list is 318 KB with 52 entries; icons are a few KB each. */
const MAX_PROVIDERS = 10_000;
const MAX_NAME_LENGTH = 200;
const MAX_ICON_LENGTH = 512 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function icon(value: unknown): string | null {
  return typeof value === 'string' && value.startsWith('data:image/') && value.length <= MAX_ICON_LENGTH
    ? value
    : null;
}

/**
 * Read a provider list (the parsed JSON). Tolerant: anything but an object gives an empty list,
 * and an entry that is not `{name: string, …}` under a UUID key is skipped with a warning.
 */
export function parsePasskeyProviders(json: unknown): PasskeyProviderList {
  const providers = new Map<string, PasskeyProvider>();
  const warnings: MetadataWarning[] = [];
  if (!isRecord(json)) {
    warnings.push(metadataWarning('metadata_entry_skipped', 'passkey provider list: not a JSON object'));
    return { providers, warnings };
  }
  for (const [key, value] of Object.entries(json)) {
    if (providers.size >= MAX_PROVIDERS) {
      warnings.push(
        metadataWarning('metadata_entry_skipped', `passkey provider list: over ${MAX_PROVIDERS}`),
      );
      break;
    }
    const aaguid = normalizeAaguid(key);
    const name = isRecord(value) ? value.name : undefined;
    if (aaguid === null || typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
      warnings.push(
        metadataWarning(
          'metadata_entry_skipped',
          `passkey provider list: ${JSON.stringify(key.slice(0, 64))}`,
        ),
      );
      continue;
    }
    if (providers.has(aaguid)) {
      warnings.push(metadataWarning('metadata_entry_duplicate', `passkey provider list: ${aaguid}`));
      continue;
    }
    const record = value as Record<string, unknown>;
    providers.set(aaguid, {
      aaguid,
      name,
      iconLight: icon(record.icon_light),
      iconDark: icon(record.icon_dark),
    });
  }
  return { providers, warnings };
}

let shipped: PasskeyProviderList | undefined;

/** The list shipped with Tessera, parsed once. */
export function defaultPasskeyProviders(): PasskeyProviderList {
  shipped ??= parsePasskeyProviders(PASSKEY_AAGUIDS);
  return shipped;
}
