/**
 * The OpenID Provider's storage (src/services/oidc.ts over src/store/oidc.ts) on both dialects:
 * models by id, uid and user code, expiry, consumption, revocation by grant, and key rotation.
 */
import { describe, expect, it } from 'vitest';
import { oidcStorage } from '../../src/services/index.js';
import { DIALECTS, useTestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('OpenID Provider storage on %s', (dialect) => {
  const t = useTestDatabase(dialect);
  let clock = new Date('2026-03-01T10:00:00Z');
  const storage = () => oidcStorage(t().database, () => clock);

  it('finds models by id, uid and user code until they expire', async () => {
    const s = storage();
    await s.models.upsert('Session', 's1', { uid: 'u1', accountId: 'a' }, 60);
    await s.models.upsert('DeviceCode', 'd1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await s.models.find('Session', 's1')).toEqual({ uid: 'u1', accountId: 'a' });
    expect(await s.models.findByUid('Session', 'u1')).toEqual({ uid: 'u1', accountId: 'a' });
    expect(await s.models.findByUserCode('DeviceCode', 'ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
    expect(await s.models.find('Grant', 's1')).toBeUndefined();
    await s.models.upsert('Session', 's1', { uid: 'u1', accountId: 'b' }, 60);
    expect(await s.models.find('Session', 's1')).toEqual({ uid: 'u1', accountId: 'b' });
    clock = new Date(clock.getTime() + 61_000);
    expect(await storage().models.find('Session', 's1')).toBeUndefined();
  });

  it('marks a code consumed once and revokes everything of a grant', async () => {
    const s = storage();
    await s.models.upsert('AuthorizationCode', 'c1', { grantId: 'g1' }, 60);
    await s.models.upsert('AccessToken', 'at1', { grantId: 'g1' }, 3600);
    await s.models.upsert('AccessToken', 'at2', { grantId: 'g2' }, 3600);
    await s.models.consume('AuthorizationCode', 'c1');
    const consumed = await s.models.find('AuthorizationCode', 'c1');
    expect(consumed?.consumed).toBe(Math.floor(clock.getTime() / 1000));
    await s.models.revokeByGrantId('g1');
    expect(await s.models.find('AuthorizationCode', 'c1')).toBeUndefined();
    expect(await s.models.find('AccessToken', 'at1')).toBeUndefined();
    expect(await s.models.find('AccessToken', 'at2')).toEqual({ grantId: 'g2' });
    await s.models.destroy('AccessToken', 'at2');
    expect(await s.models.find('AccessToken', 'at2')).toBeUndefined();
  });

  it('generates the first key once and publishes retired keys until the overlap ends', async () => {
    const s = storage();
    const [first] = await s.keys.current();
    expect(first?.signing).toBe(true);
    expect(first?.jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: first?.kid });
    expect((await s.keys.current()).map((k) => k.kid)).toEqual([first?.kid]);
    const next = await s.keys.rotate(60_000);
    expect((await s.keys.current()).map((k) => [k.kid, k.signing])).toEqual([
      [next.kid, true],
      [first?.kid, false],
    ]);
    clock = new Date(clock.getTime() + 60_001);
    expect((await storage().keys.current()).map((k) => k.kid)).toEqual([next.kid]);
  });
});
