/**
 * A `MetadataSnapshot`: everything Tessera knows about authenticator models at one moment, merged
 * once and indexed by Maps:
 *
 * - the entries of the verified Metadata BLOB (source 'mds');
 * - metadata statements from the metadata folder (source 'statement'), for authenticators the
 *   BLOB does not list: a statement whose AAGUID, AAID or key identifier the BLOB already lists is
 *   ignored with a `statement_shadowed` warning (the signed BLOB wins; a local file cannot replace
 *   the FIDO Alliance's statement or hide its status reports);
 * - display names and icons of passkey providers (the community AAGUID list, `providers.ts`).
 *
 * Name precedence in `describe()`: the community list's name first (what people recognise: "Windows
 * Hello" rather than "Windows Hello Hardware Authenticator", as the list's own README and its
 * combined file do), then the metadata `description`, then null. The all-zero AAGUID (an
 * authenticator that does not say what it is) has no name.
 */

import type { MetadataBlob } from './blob.js';
import { type MetadataWarning, metadataWarning } from './errors.js';
import { defaultPasskeyProviders, type PasskeyProviderList } from './providers.js';
import { type MetadataEntry, normalizeAaguid, normalizeKeyIdentifier } from './statement.js';

export const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

export interface SnapshotInput {
  /** The verified BLOB, or null when none has been imported. */
  readonly blob: Pick<MetadataBlob, 'no' | 'nextUpdate' | 'legalHeader' | 'entries'> | null;
  /** Statements from the metadata folder, in a stable order (the first of two duplicates wins). */
  readonly statements?: readonly MetadataEntry[];
  /** Default: the list shipped with Tessera. */
  readonly providers?: PasskeyProviderList;
}

export interface AuthenticatorDescription {
  readonly aaguid: string;
  /** Display name, or null when nothing names this AAGUID. */
  readonly name: string | null;
  /** A `data:image/…` URI for light backgrounds (or the only icon there is), or null. */
  readonly icon: string | null;
  /** A `data:image/…` URI for dark backgrounds, or null. */
  readonly iconDark: string | null;
  /** Where the name came from. */
  readonly source: 'passkey-provider-list' | 'mds' | 'statement' | null;
}

export interface SnapshotCounts {
  /** BLOB entries kept, and by identifier kind. */
  readonly blobEntries: number;
  readonly aaguid: number;
  readonly aaid: number;
  readonly attestationCertificateKeyIdentifiers: number;
  /** Folder statements in use (not shadowed). */
  readonly statements: number;
  readonly providers: number;
}

export class MetadataSnapshot {
  readonly blob: { readonly no: number; readonly nextUpdate: string; readonly legalHeader: string } | null;
  /** All entries in use: BLOB entries first, then folder statements. */
  readonly entries: readonly MetadataEntry[];
  /** Duplicates and shadowed statements, found while merging. */
  readonly warnings: readonly MetadataWarning[];
  readonly counts: SnapshotCounts;
  private readonly aaguids = new Map<string, MetadataEntry>();
  private readonly aaids = new Map<string, MetadataEntry>();
  private readonly keyIdentifiers = new Map<string, MetadataEntry>();
  private readonly providers: PasskeyProviderList;

  constructor(input: SnapshotInput) {
    this.providers = input.providers ?? defaultPasskeyProviders();
    this.blob = input.blob
      ? { no: input.blob.no, nextUpdate: input.blob.nextUpdate, legalHeader: input.blob.legalHeader }
      : null;
    const warnings: MetadataWarning[] = [];
    const entries: MetadataEntry[] = [];
    const blobEntries = input.blob?.entries ?? [];
    for (const entry of blobEntries) {
      if (this.index(entry, warnings)) entries.push(entry);
    }
    let statements = 0;
    for (const entry of input.statements ?? []) {
      const clash = this.lookupAny(entry);
      if (clash !== undefined) {
        warnings.push(
          metadataWarning(
            clash.source === 'mds' ? 'statement_shadowed' : 'metadata_entry_duplicate',
            `${entry.origin}: ${clash.origin} already describes this authenticator`,
          ),
        );
        continue;
      }
      if (this.index(entry, warnings)) {
        entries.push(entry);
        statements++;
      }
    }
    this.entries = entries;
    this.warnings = warnings;
    const fromBlob = entries.filter((e) => e.source === 'mds');
    this.counts = {
      blobEntries: fromBlob.length,
      aaguid: fromBlob.filter((e) => e.aaguid !== null).length,
      aaid: fromBlob.filter((e) => e.aaid !== null).length,
      attestationCertificateKeyIdentifiers: fromBlob.filter(
        (e) => e.attestationCertificateKeyIdentifiers.length > 0,
      ).length,
      statements,
      providers: this.providers.providers.size,
    };
  }

  /** Index an entry; the first entry for an identifier wins, a later duplicate identifier is reported. */
  private index(entry: MetadataEntry, warnings: MetadataWarning[]): boolean {
    let added = false;
    const put = (map: Map<string, MetadataEntry>, key: string) => {
      const held = map.get(key);
      if (held === undefined) {
        map.set(key, entry);
        added = true;
      } else if (held !== entry) {
        warnings.push(
          metadataWarning('metadata_entry_duplicate', `${entry.origin}: ${key} is also in ${held.origin}`),
        );
      }
    };
    if (entry.aaguid !== null) put(this.aaguids, entry.aaguid);
    if (entry.aaid !== null) put(this.aaids, entry.aaid);
    for (const id of entry.attestationCertificateKeyIdentifiers) put(this.keyIdentifiers, id);
    return added;
  }

  private lookupAny(entry: MetadataEntry): MetadataEntry | undefined {
    if (entry.aaguid !== null && this.aaguids.has(entry.aaguid)) return this.aaguids.get(entry.aaguid);
    if (entry.aaid !== null && this.aaids.has(entry.aaid)) return this.aaids.get(entry.aaid);
    for (const id of entry.attestationCertificateKeyIdentifiers) {
      const held = this.keyIdentifiers.get(id);
      if (held) return held;
    }
    return undefined;
  }

  /** The entry for an AAGUID (hyphenated or 32 hex digits, any case), or undefined. */
  byAaguid(aaguid: string): MetadataEntry | undefined {
    const key = normalizeAaguid(aaguid);
    return key === null || key === ZERO_AAGUID ? undefined : this.aaguids.get(key);
  }

  /** The entry for an attestation certificate key identifier (40 hex digits, any case), or undefined. */
  byKeyIdentifier(hex: string): MetadataEntry | undefined {
    const key = normalizeKeyIdentifier(hex);
    return key === null ? undefined : this.keyIdentifiers.get(key);
  }

  /** The entry for a UAF AAID ("VVVV#MMMM"), or undefined. */
  byAaid(aaid: string): MetadataEntry | undefined {
    return this.aaids.get(aaid.trim().toUpperCase());
  }

  /** The passkey provider list's record for an AAGUID, if any. */
  provider(
    aaguid: string,
  ):
    | { readonly name: string; readonly iconLight: string | null; readonly iconDark: string | null }
    | undefined {
    const key = normalizeAaguid(aaguid);
    return key === null ? undefined : this.providers.providers.get(key);
  }

  /** Name and icon for display (see the module comment for the precedence). */
  describe(aaguid: string): AuthenticatorDescription {
    const key = normalizeAaguid(aaguid);
    const none = { aaguid: key ?? aaguid, name: null, icon: null, iconDark: null, source: null };
    if (key === null || key === ZERO_AAGUID) return none;
    const provider = this.providers.providers.get(key);
    const statement = this.aaguids.get(key);
    const mdsIcon = statement?.statement?.icon ?? null;
    if (provider) {
      return {
        aaguid: key,
        name: provider.name,
        icon: provider.iconLight ?? provider.iconDark ?? mdsIcon,
        iconDark: provider.iconDark ?? provider.iconLight ?? mdsIcon,
        source: 'passkey-provider-list',
      };
    }
    if (statement?.statement) {
      return {
        aaguid: key,
        name: statement.statement.description,
        icon: mdsIcon,
        iconDark: mdsIcon,
        source: statement.source,
      };
    }
    return none;
  }
}

/** Build a snapshot (the constructor, as a function). */
export function buildSnapshot(input: SnapshotInput): MetadataSnapshot {
  return new MetadataSnapshot(input);
}
