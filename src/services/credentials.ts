/**
 * The signed-in person's credentials: list (each judged against the current metadata), rename,
 * remove. Removing never leaves a person without a credential (`last_credential`), decided by
 * one conditional DELETE under the person's row lock, so two removals racing for the last two
 * credentials cannot both succeed.
 */
import { fromBase64url } from '../core/base64url.js';
import { isWebAuthnError } from '../core/errors.js';
import { listCredentials, removeCredentialUnlessLast, renameCredential } from '../store/credentials.js';
import { lockPerson } from '../store/people.js';
import { assess, requireSession, type ServiceContext } from './context.js';
import type { CredentialView, TesseraServices } from './contract.js';
import { ServiceError } from './errors.js';
import { requireName } from './validation.js';
import { credentialView } from './views.js';

function credentialId(value: unknown): Buffer {
  try {
    const id = fromBase64url(value, 'id', 1023);
    if (id.length === 0) throw new ServiceError('credential_not_found');
    return id;
  } catch (error) {
    if (isWebAuthnError(error)) throw new ServiceError('credential_not_found', error.detail);
    throw error;
  }
}

export function credentialsService(sc: ServiceContext): TesseraServices['credentials'] {
  return {
    async list(ctx): Promise<readonly CredentialView[]> {
      const { person } = await requireSession(sc, ctx);
      const credentials = await listCredentials(sc.db, person.id);
      const snapshot = await sc.snapshot();
      return credentials.map((c) => credentialView(c, assess(c, snapshot)));
    },

    async rename(input, ctx): Promise<CredentialView> {
      const { person } = await requireSession(sc, ctx);
      const name = requireName(input.name);
      const renamed = await renameCredential(sc.db, person.id, credentialId(input.id), name);
      if (renamed === null) throw new ServiceError('credential_not_found');
      return credentialView(renamed, assess(renamed, await sc.snapshot()));
    },

    async remove(input, ctx): Promise<void> {
      const { person } = await requireSession(sc, ctx);
      const id = credentialId(input.id);
      const outcome = await sc.db.transaction().execute(async (trx) => {
        await lockPerson(trx, person.id, sc.dialect);
        return removeCredentialUnlessLast(trx, person.id, id);
      });
      if (outcome === 'last') throw new ServiceError('last_credential');
      if (outcome === 'not_found') throw new ServiceError('credential_not_found');
    },
  };
}
