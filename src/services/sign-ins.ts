/** The signed-in person's sign-in history, most recent first (refused attempts included, with their signal). */
import { recentSignIns } from '../store/sign-ins.js';
import { requireSession, type ServiceContext } from './context.js';
import type { SignInView, TesseraServices } from './contract.js';
import { signInView } from './views.js';

export const DEFAULT_SIGN_IN_LIMIT = 20;
export const MAX_SIGN_IN_LIMIT = 100;

export function signInsService(sc: ServiceContext): TesseraServices['signIns'] {
  return {
    async recent(ctx, limit = DEFAULT_SIGN_IN_LIMIT): Promise<readonly SignInView[]> {
      const { person } = await requireSession(sc, ctx);
      const n = Number.isSafeInteger(limit)
        ? Math.min(Math.max(limit, 1), MAX_SIGN_IN_LIMIT)
        : DEFAULT_SIGN_IN_LIMIT;
      return (await recentSignIns(sc.db, person.id, n)).map(signInView);
    },
  };
}
