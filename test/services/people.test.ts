/**
 * People by id (the OpenID Provider's `sub`), on both dialects: the person's view, and null for an
 * id that names nobody or is not an id at all (never an error: the provider asks with whatever a
 * token says).
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { uniqueUsername, useServices } from './harness.js';

const NOW = new Date('2026-03-01T10:00:00Z');

describe.each(DIALECTS)('people.find on %s', (dialect) => {
  const h = useServices(dialect);

  it('finds a person by id, and nobody for unknown or malformed ids', async () => {
    const { services } = h();
    const username = uniqueUsername();
    const { person } = await services.people.add({ username, displayName: 'Ada Lovelace' }, NOW);
    expect(await services.people.find(person.id)).toEqual({
      id: person.id,
      username,
      displayName: 'Ada Lovelace',
    });
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', '', 'x'.repeat(65), "'; drop table people; --", '../a'])
      expect(await services.people.find(id)).toBeNull();
  });
});
