/**
 * Registered apps' client secrets were stored as issued (migration 0003); from here on only their
 * digest is kept (src/store/oidc.ts, `clientSecretDigest`). This rewrites every `Client` row that
 * still holds a secret as issued; apps keep working with the secret they have.
 */
import type { Kysely, Migration } from 'kysely';
import { withSecretDigest } from '../oidc.js';

interface ClientRows {
  oidc_models: { model: string; id: string; payload: string };
}

export const clientSecretDigests: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const typed = db as unknown as Kysely<ClientRows>;
    const rows = await typed
      .selectFrom('oidc_models')
      .select(['id', 'payload'])
      .where('model', '=', 'Client')
      .execute();
    for (const row of rows) {
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
      } catch {
        continue; // not ours to repair: the adapter never returns a row it cannot parse
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) continue;
      const stored = withSecretDigest(payload as Record<string, unknown>);
      if (stored === payload) continue;
      await typed
        .updateTable('oidc_models')
        .set({ payload: JSON.stringify(stored) })
        .where('model', '=', 'Client')
        .where('id', '=', row.id)
        .execute();
    }
  },
  async down(): Promise<void> {
    // A digest cannot be turned back into the secret: apps would need new secrets.
  },
};
