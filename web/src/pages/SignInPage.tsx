import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, type InteractionAnswer } from '../api';
import { PasskeyGlyph } from '../components/Icons';
import { Link } from '../components/Link';
import { LiveNotice } from '../components/Notice';
import { PolicyNotices } from '../components/PolicyNotices';
import { Shell } from '../components/Shell';
import { sentences } from '../format';
import { describeError, isAbort, isNotAllowed } from '../messages';
import { type Notice, useNavigation } from '../router';
import type { PolicyNotice, SessionView } from '../types';
import { conditionalMediationAvailable, getAssertion } from '../webauthn';

const WAITING: Notice = {
  tone: 'info',
  text: 'Follow your browser’s prompt to use your passkey or security key.',
};

/** The OpenID Connect sign-in request this page serves, when an app sent the person here. */
function interactionOf(): string | null {
  return new URLSearchParams(window.location.search).get('interaction');
}

const REAUTHENTICATE: Notice = { tone: 'info', text: 'The app asks you to sign in again to continue.' };

/** A step-up: what the app asks for, and the policy's reason when it gives one. */
function stepUpNotice(reasons: readonly PolicyNotice[]): Notice {
  const why = reasons.length === 0 ? '' : ` ${sentences(reasons)}`;
  return { tone: 'info', text: `The app asks for a stronger sign-in: use your security key.${why}` };
}

/** Why the sign-in cannot be given: the policy's sentences (or the app's request). */
function Reasons({ reasons }: { readonly reasons: readonly PolicyNotice[] }) {
  if (reasons.length === 0) return null;
  return (
    <div className="notice notice-error policy-notice">
      <ul>
        {reasons.map((reason) => (
          <li key={reason.message}>{reason.message}</li>
        ))}
      </ul>
    </div>
  );
}

/** The app asked for a sign-in none of the person's keys can give. */
function UnmetPage({ unmet }: { readonly unmet: Unmet }) {
  return (
    <Shell title="A security key is needed">
      <p className="lead">
        The app you came from requires a sign-in with a hardware security key whose make Tessera can verify.
        None of your keys can give that sign-in.
      </p>
      <Reasons reasons={unmet.reasons} />
      <p>Ask your help desk for a security key, then try again. You can return to the app now.</p>
      <a className="button primary" href={unmet.redirectTo}>
        Return to the app
      </a>
    </Shell>
  );
}

/**
 * Signed in, in the warn phase of the person's segment: before going on to the app, what their
 * role will require and by when. The app is reached either way; this is the time to act.
 */
function BeforeYouContinuePage({ proceed }: { readonly proceed: Proceed }) {
  const headingId = useId();
  return (
    <Shell title="Before you continue">
      <p className="lead">Your organisation’s sign-in requirements are changing.</p>
      <PolicyNotices
        decisions={[{ effect: 'warn', reasons: proceed.warnings, deadline: proceed.deadline }]}
        headingId={headingId}
        heading="What you need to do"
      />
      <p>
        You can add a security key or passkey from <Link to="/account">your account</Link> at any time.
      </p>
      <a className="button primary" href={proceed.redirectTo}>
        Continue to the app
      </a>
    </Shell>
  );
}

interface Unmet {
  readonly redirectTo: string;
  readonly reasons: readonly PolicyNotice[];
}

interface Proceed {
  readonly redirectTo: string;
  readonly warnings: readonly PolicyNotice[];
  readonly deadline: string | null;
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
  const [unmet, setUnmet] = useState<Unmet | null>(null);
  const [proceed, setProceed] = useState<Proceed | null>(null);
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
    if (answer.status === 'done') {
      const warnings = answer.warnings ?? [];
      if (warnings.length === 0) window.location.assign(answer.redirectTo);
      else setProceed({ redirectTo: answer.redirectTo, warnings, deadline: answer.deadline ?? null });
    } else if (answer.status === 'unmet')
      setUnmet({ redirectTo: answer.redirectTo, reasons: answer.reasons });
    else {
      setBusy(false);
      if (answer.reason === 'step_up') setNotice(stepUpNotice(answer.reasons));
      else if (answer.reason === 'reauthenticate') setNotice(REAUTHENTICATE);
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

  if (unmet !== null) return <UnmetPage unmet={unmet} />;
  if (proceed !== null) return <BeforeYouContinuePage proceed={proceed} />;

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
