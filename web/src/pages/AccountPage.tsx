import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../api';
import { AssuranceBadge } from '../components/Assurance';
import { CredentialCard } from '../components/CredentialCard';
import { PasskeyGlyph, SecurityKeyGlyph } from '../components/Icons';
import { LiveNotice } from '../components/Notice';
import { PolicyNotices } from '../components/PolicyNotices';
import { Shell } from '../components/Shell';
import { SignInsTable } from '../components/SignInsTable';
import { formatDateTime, sentences } from '../format';
import { describeError } from '../messages';
import { type Notice, useNavigation } from '../router';
import type { CredentialView, EnrolmentKind, PolicyStatusView, SessionView, SignInView } from '../types';
import { createCredential } from '../webauthn';

interface Account {
  readonly session: SessionView;
  readonly credentials: readonly CredentialView[];
  readonly signIns: readonly SignInView[];
  /** What the organisation's assurance policy asks of this person; null when it could not be read. */
  readonly policy: PolicyStatusView | null;
}

async function loadAccount(): Promise<Account> {
  const session = await api.session();
  const [credentials, signIns, policy] = await Promise.all([
    api.credentials(),
    api.signIns(),
    // The notice is advice: the page works without it.
    api.policyStatus().catch(() => null),
  ]);
  return { session, credentials, signIns, policy };
}

/** The person's credentials, what each is worth, recent sign-ins, and sign-out. */
export function AccountPage() {
  const navigation = useNavigation();
  const { navigate } = navigation;
  const [account, setAccount] = useState<Account | null>(null);
  const [notice, setNotice] = useState<Notice | null>(navigation.notice);
  const [adding, setAdding] = useState<EnrolmentKind | null>(null);
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const ids = useId();
  const credentialsHeading = useRef<HTMLHeadingElement>(null);

  const signedOut = useCallback(
    (text: string, redirect = false) =>
      navigate('/', { replace: true, redirect, notice: { tone: 'info', text } }),
    [navigate],
  );

  const refresh = useCallback(async () => {
    try {
      setAccount(await loadAccount());
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) signedOut('Sign in to see your account.', true);
      else setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
    }
  }, [signedOut]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = async (then: string) => {
    if (signingOut) return;
    setSigningOut(true);
    try {
      await api.signOut();
      signedOut(then);
    } catch (error) {
      setSigningOut(false);
      setNotice({ tone: 'error', text: describeError(error, 'sign-in') });
    }
  };

  const add = async (kind: EnrolmentKind) => {
    if (adding !== null) return;
    setAdding(kind);
    setNeedsSignIn(false);
    setNotice({
      tone: 'info',
      text:
        kind === 'passkey'
          ? 'Follow your browser’s prompt to create a passkey.'
          : 'Insert or tap your security key when your browser asks for it.',
    });
    try {
      const options = await api.registrationOptions(kind);
      const response = await createCredential(options);
      const { credential, warnings } = await api.registrationVerify(response, undefined);
      await refresh();
      // Warn phase: the key is added, and the person learns now what their role will require.
      setNotice(
        warnings.length === 0
          ? { tone: 'success', text: `Added “${credential.name}”. You can rename it below.` }
          : { tone: 'info', text: `Added “${credential.name}”. ${sentences(warnings)}` },
      );
    } catch (error) {
      setNeedsSignIn(error instanceof ApiError && error.code === 'reauthentication_required');
      setNotice({ tone: 'error', text: describeError(error, 'register') });
    } finally {
      setAdding(null);
    }
  };

  const signOutButton = (
    <button
      type="button"
      className="button small ghost"
      aria-disabled={signingOut}
      onClick={() => void signOut('You have signed out.')}
    >
      Sign out
    </button>
  );

  if (account === null) {
    return (
      <Shell title="Your account" width="wide" headerEnd={signOutButton}>
        <LiveNotice notice={notice} />
        {notice === null && <p className="muted">Loading your account…</p>}
      </Shell>
    );
  }

  const { session, credentials, signIns, policy } = account;
  return (
    <Shell title="Your account" width="wide" headerEnd={signOutButton}>
      <LiveNotice notice={notice} />
      {needsSignIn && (
        <p>
          <button
            type="button"
            className="button small primary"
            onClick={() => void signOut('Sign in again, then add your passkey or security key.')}
          >
            Sign in again
          </button>
        </p>
      )}

      {policy !== null && <PolicyNotices decisions={policy.decisions} headingId={`${ids}-policy`} />}

      <section className="section">
        <h2 id={`${ids}-session`} className="visually-hidden">
          This session
        </h2>
        <div className="card session-card">
          <p className="session-person">
            Signed in as <strong>{session.person.displayName}</strong>{' '}
            <span className="muted username">({session.person.username})</span>
          </p>
          <dl className="facts facts-inline">
            <div>
              <dt>Session</dt>
              <dd>
                <AssuranceBadge aal={session.aal} />
              </dd>
            </div>
            <div>
              <dt>Signed in</dt>
              <dd>
                <time dateTime={session.authTime}>{formatDateTime(session.authTime)}</time>
              </dd>
            </div>
            <div>
              <dt>Ends</dt>
              <dd>
                <time dateTime={session.expiresAt}>{formatDateTime(session.expiresAt)}</time> at the latest,
                sooner if you are inactive
              </dd>
            </div>
          </dl>
        </div>
      </section>

      <section className="section">
        <div className="section-head">
          <h2 id={`${ids}-credentials`} ref={credentialsHeading} tabIndex={-1}>
            Passkeys and security keys
          </h2>
          <p className="muted">
            {credentials.length === 1
              ? 'You have one. Add a second as a backup, in case you lose it.'
              : `You have ${credentials.length}.`}
          </p>
        </div>
        <ul className="credentials">
          {credentials.map((credential) => (
            <CredentialCard
              key={credential.id}
              credential={credential}
              inUse={credential.id === session.credentialId}
              onChanged={(changed) => {
                setAccount((current) =>
                  current === null
                    ? current
                    : {
                        ...current,
                        credentials: current.credentials.map((each) =>
                          each.id === changed.id ? changed : each,
                        ),
                      },
                );
                setNotice({ tone: 'success', text: `Renamed to “${changed.name}”.` });
              }}
              onRemoved={(removed) => {
                setAccount((current) =>
                  current === null
                    ? current
                    : {
                        ...current,
                        credentials: current.credentials.filter((each) => each.id !== removed.id),
                      },
                );
                setNotice({ tone: 'success', text: `Removed “${removed.name}”.` });
                // The card that had the focus is gone: continue from the list's heading.
                credentialsHeading.current?.focus();
                void refresh();
              }}
            />
          ))}
        </ul>
        <div className="add-row">
          <button
            type="button"
            className="button outline"
            aria-disabled={adding !== null}
            onClick={() => void add('passkey')}
          >
            <PasskeyGlyph size={20} />
            Add a passkey
          </button>
          <button
            type="button"
            className="button outline"
            aria-disabled={adding !== null}
            onClick={() => void add('security-key')}
          >
            <SecurityKeyGlyph size={20} />
            Add a security key
          </button>
        </div>
      </section>

      <section className="section">
        <h2 id={`${ids}-sign-ins`}>Recent sign-ins</h2>
        <SignInsTable signIns={signIns} labelledBy={`${ids}-sign-ins`} />
      </section>
    </Shell>
  );
}
