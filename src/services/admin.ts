/**
 * Who may administer Tessera over HTTP. PRODUCT.md: "Admin actions themselves require an AAL3
 * session"; administrators are the members of the groups named by TESSERA_ADMIN_GROUPS (default
 * `tessera-admins`, the group the example policy gives its admins segment).
 *
 * `requireAdmin` answers, in this order and with nothing more:
 *
 * 1. no live session → `unauthenticated` (401), as every call that needs one;
 * 2. not in an admin group → `admin_required` (403), whatever the session's level, so someone who
 *    is not an administrator learns nothing about what an administrator would need;
 * 3. a session below AAL3 → `admin_aal3_required` (403): sign in again with the security key.
 *
 * The session's level is the one its sign-in proved (SP 800-63B-4 §2.3: AAL3 needs a
 * hardware-protected, phishing-resistant, verifier-impersonation-resistant authenticator), and an
 * AAL3 session lasts at most 12 hours and 15 idle minutes (§2.3.3), so an administrator's sign-in
 * is never older than that. The credential that made the session is also judged again against the
 * current metadata: nothing about trust is frozen at enrolment (ARCHITECTURE.md), and a model
 * revoked or downgraded since the sign-in must not keep administering until the session ends.
 *
 * The command line is not guarded: `tessera …` runs as the operator on the machine, with the
 * database's own credentials.
 */
import { findCredential } from '../store/credentials.js';
import { groupsOf } from '../store/groups.js';
import { assess, type LiveSession, requireSession, type ServiceContext } from './context.js';
import type { CallContext } from './contract.js';
import { ServiceError } from './errors.js';

/** The caller's live session when they are an administrator at AAL3 now; else the refusal above. */
export async function requireAdmin(sc: ServiceContext, ctx: CallContext): Promise<LiveSession> {
  const live = await requireSession(sc, ctx);
  const groups = await groupsOf(sc.db, live.person.id);
  const admin = sc.config.adminGroups;
  if (!groups.some((g) => admin.includes(g)))
    throw new ServiceError('admin_required', `${live.person.username} is in none of ${admin.join(', ')}`);
  if (live.session.aal !== 'AAL3')
    throw new ServiceError('admin_aal3_required', `session at ${live.session.aal}`);
  const credential = await findCredential(sc.db, live.session.credentialId);
  if (credential === null)
    throw new ServiceError('admin_aal3_required', 'the session’s credential was removed');
  const assessment = assess(credential, await sc.snapshot());
  if (assessment.refused || assessment.aal !== 'AAL3')
    throw new ServiceError(
      'admin_aal3_required',
      `the session’s credential now assesses to ${assessment.refused ? 'refused' : assessment.aal}`,
    );
  return live;
}
