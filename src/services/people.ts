/**
 * People, for operators (`tessera people`): create a person with a random 64-byte WebAuthn user
 * handle (never an e-mail or other personal data, WebAuthn L3 §14.6.1) and a one-time onboarding
 * pass; issue a new pass, which withdraws the person's unused ones.
 */
import { insertPass, revokeUnusedPasses } from '../store/passes.js';
import { findPersonById, findPersonByUsername, insertPerson, type PersonRecord } from '../store/people.js';
import type { ServiceContext } from './context.js';
import type { TesseraServices } from './contract.js';
import { ServiceError } from './errors.js';
import { newUserHandle, randomToken, secretHash } from './secrets.js';
import { requireName, requirePassLifetime, requireUsername } from './validation.js';
import { personView } from './views.js';

export function peopleService(sc: ServiceContext): TesseraServices['people'] {
  return {
    async add(input, now) {
      const username = requireUsername(input.username);
      const displayName = input.displayName === undefined ? username : requireName(input.displayName);
      const lifetime = requirePassLifetime(input.passLifetimeMs, sc.config.passLifetimeMs);
      const at = now.getTime();
      const person: PersonRecord = {
        id: randomToken(16),
        username,
        displayName,
        userHandle: newUserHandle(),
        createdAt: at,
      };
      const pass = randomToken();
      await sc.db.transaction().execute(async (trx) => {
        if ((await insertPerson(trx, person)) === 'username_taken') throw new ServiceError('username_taken');
        await insertPass(trx, {
          hash: secretHash(pass),
          personId: person.id,
          createdAt: at,
          expiresAt: at + lifetime,
          usedAt: null,
        });
      });
      return { person: personView(person), pass, expiresAt: new Date(at + lifetime).toISOString() };
    },

    async issuePass(input, now) {
      const username = requireUsername(input.username);
      const lifetime = requirePassLifetime(input.passLifetimeMs, sc.config.passLifetimeMs);
      const at = now.getTime();
      const pass = randomToken();
      await sc.db.transaction().execute(async (trx) => {
        const person = await findPersonByUsername(trx, username);
        if (person === null) throw new ServiceError('person_not_found');
        await revokeUnusedPasses(trx, person.id);
        await insertPass(trx, {
          hash: secretHash(pass),
          personId: person.id,
          createdAt: at,
          expiresAt: at + lifetime,
          usedAt: null,
        });
      });
      return { pass, expiresAt: new Date(at + lifetime).toISOString() };
    },

    async find(id) {
      // Ids are 16 random bytes in base64url (22 characters); anything else names nobody.
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
      const person = await findPersonById(sc.db, id);
      return person === null ? null : personView(person);
    },
  };
}
