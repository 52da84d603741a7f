import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, type InteractionAnswer } from '../api';
import { PasskeyGlyph } from '../components/Icons';
import { LiveNotice } from '../components/Notice';
import { Shell } from '../components/Shell';
import { describeError, isAbort, isNotAllowed } from '../messages';
import { type Notice, useNavigation } from '../router';
import type { SessionView } from '../types';
import { conditionalMediationAvailable, getAssertion } from '../webauthn';

const WAITING: Notice = {
  tone: 'info',
  text: 'Follow your browser’s prompt to use your passkey or security key.',
};

/** The OpenID Connect sign-in request this page serves, when an app sent the person here. */
function interactionOf(): string | null {
  return new URLSearchParams(window.location.search).get('interaction');
}

const INTERACTION_NOTICES: Readonly<Record<'reauthenticate' | 'step_up', Notice>> = {
  reauthenticate: { tone: 'info', text: 'The app asks you to sign in again to continue.' },
  step_up: {
    tone: 'info',
    text: 'The app asks for a stronger sign-in: use your security key.',
  },
};

/** The app asked for a sign-in none of the person's keys can give. */
function UnmetPage({ redirectTo }: { readonly redirectTo: string }) {
  return (
    <Shell title="A security key is needed">
      <p className="lead">
        The app you came from requires a sign-in with a hardware security key whose make Tessera can verify.
        None of your keys can give that sign-in.
      </p>
      <p>Ask your help desk for a security key, then try again. You can return to the app now.</p>
      <a className="button primary" href={redirectTo}>
        Return to the app
      </a>
    </Shell>
  );
}

/**
 * Sign-in: passkey autofill on the username field (conditional mediation), a username form, and a
 * usernameless "Sign in with a passkey" button. Using the form or the button aborts the pending
 * autofill request first: a browser runs one WebAuthn request at a time.
 *
 * When an app sent the person here (`?interaction=`, OpenID Connect), the page first offers the
 * current session to the app, and after a sign-in hands it over; the server says whether a fresh
 * or stronger sign-in is needed, or that none of the person's keys can give what the app requires.
 */
export function SignInPage() {
  const navigation = useNavigation();
  const { navigate } = navigation;
  const [interaction] = useState<string | null>(interactionOf);
  const [unmet, setUnmet] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(navigation.notice);
  const [busy, setBusy] = useState(false);
  const [username, setUsername] = useState('');
  const [usernameError, setUsernameError] = useState<string | null>(null);
  const usernameInput = useRef<HTMLInputElement>(null);
  const autofill = useRef<AbortController | null>(null);
  const usernameId = useId();

  /** Offer the session to the app that asked: go back to it, say why a sign-in is needed, or that none can do. */
  const continueInteraction = useCallback(async (uid: string): Promise<InteractionAnswer> => {
    const answer = await api.finishInteraction(uid);
    if (answer.status === 'done') window.location.assign(answer.redirectTo);
    else if (answer.status === 'unmet') setUnmet(answer.redirectTo);
    else {
      setBusy(false);
      if (answer.reason !== 'no_session') setNotice(INTERACTION_NOTICES[answer.reason]);
    }
    return answer;
  }, []);

  const signedIn = useCallback(
    (session: SessionView) => {
      if (interaction !== null) {
        void continueInteraction(interaction).catch((error: unknown) => {
          setBusy(false);
          setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
        });
        return;
      }
      navigate('/account', {
        notice: { tone: 'success', text: `Welcome back, ${session.person.displayName}.` },
      });
    },
    [navigate, interaction, continueInteraction],
  );

  /** Offer passkeys in the username field's autofill, where the browser can. */
  const startAutofill = useCallback(() => {
    autofill.current?.abort();
    const controller = new AbortController();
    autofill.current = controller;
    const { signal } = controller;
    void (async () => {
      if (!(await conditionalMediationAvailable()) || signal.aborted) return;
      const options = await api.authenticationOptions(undefined, signal);
      const response = await getAssertion(options, { mediation: 'conditional', signal });
      // A passkey was picked: from here on this is the sign-in, whatever else is clicked.
      autofill.current = null;
      setBusy(true);
      setNotice({ tone: 'info', text: 'Signing you in…' });
      signedIn(await api.authenticationVerify(response));
    })().catch((error: unknown) => {
      // An aborted request was replaced on purpose; NotAllowedError here means the browser had
      // no passkey to offer, which is no news to the person.
      if (signal.aborted || isAbort(error) || isNotAllowed(error)) return;
      setBusy(false);
      setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
    });
  }, [signedIn]);

  useEffect(() => {
    let cancelled = false;
    if (interaction !== null) {
      // An app sent the person here: a live session may already do; otherwise sign in. Passkey
      // autofill is only offered for a first sign-in, never when the app wants a fresh or stronger one.
      void continueInteraction(interaction).then(
        (answer) => {
          if (!cancelled && answer.status === 'sign_in_required' && answer.reason === 'no_session')
            startAutofill();
        },
        (error: unknown) => {
          if (!cancelled) setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
        },
      );
      return () => {
        cancelled = true;
        autofill.current?.abort();
      };
    }
    void api.sessionOrNull().then(
      (session) => {
        if (cancelled) return;
        if (session === null) startAutofill();
        else navigate('/account', { redirect: true });
      },
      (error: unknown) => {
        if (!cancelled) setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
      },
    );
    return () => {
      cancelled = true;
      autofill.current?.abort();
    };
  }, [navigate, startAutofill, interaction, continueInteraction]);

  const signIn = async (withUsername: string | undefined) => {
    if (busy) return;
    autofill.current?.abort();
    autofill.current = null;
    setBusy(true);
    setNotice(WAITING);
    try {
      const options = await api.authenticationOptions(withUsername);
      const response = await getAssertion(options);
      setNotice({ tone: 'info', text: 'Signing you in…' });
      signedIn(await api.authenticationVerify(response));
    } catch (error) {
      setBusy(false);
      setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
      startAutofill();
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = username.trim();
    if (value === '') {
      setUsernameError('Enter your username, or use “Sign in with a passkey”.');
      usernameInput.current?.focus();
      return;
    }
    setUsernameError(null);
    void signIn(value);
  };

  if (unmet !== null) return <UnmetPage redirectTo={unmet} />;

  return (
    <Shell title="Sign in">
      <p className="lead">Use the passkey or security key you set up for Tessera. There is no password.</p>
      <LiveNotice notice={notice} />
      <div className="card stack">
        <form className="stack" onSubmit={onSubmit} noValidate>
          <div className="field">
            <label htmlFor={usernameId}>Username</label>
            <input
              ref={usernameInput}
              id={usernameId}
              name="username"
              type="text"
              autoComplete="username webauthn"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              value={username}
              onChange={(event) => setUsername(event.target.value)}
              aria-invalid={usernameError !== null}
              aria-describedby={`${usernameId}-hint${usernameError === null ? '' : ` ${usernameId}-error`}`}
            />
            {usernameError !== null && (
              <p className="field-error" id={`${usernameId}-error`}>
                {usernameError}
              </p>
            )}
            <p className="hint" id={`${usernameId}-hint`}>
              Your browser may offer your passkey as soon as you select this field.
            </p>
          </div>
          <button type="submit" className="button primary block" aria-disabled={busy}>
            Continue
          </button>
        </form>
        <div className="divider" aria-hidden="true">
          <span>or</span>
        </div>
        <button
          type="button"
          className="button outline block"
          aria-disabled={busy}
          onClick={() => void signIn(undefined)}
        >
          <PasskeyGlyph size={20} />
          Sign in with a passkey
        </button>
      </div>
      <p className="aside">
        New here? Open the setup link your administrator sent you. Lost your key? Contact your help desk.
      </p>
    </Shell>
  );
}
