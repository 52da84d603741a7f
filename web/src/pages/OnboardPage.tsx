import { useEffect, useId, useState } from 'react';
import { api } from '../api';
import { PasskeyGlyph, SecurityKeyGlyph } from '../components/Icons';
import { Link } from '../components/Link';
import { LiveNotice } from '../components/Notice';
import { Shell } from '../components/Shell';
import { formatDateTime, sentences } from '../format';
import { describeError } from '../messages';
import { type Notice, useNavigation } from '../router';
import type { EnrolmentKind, OnboardingPassView } from '../types';
import { createCredential } from '../webauthn';

/**
 * The pass travels in the fragment (`/onboard#pass=…`), which browsers never send to a server.
 * It is read once and removed from the address bar and history, so it is not left on screen, in
 * a bookmark or in a shared screenshot.
 */
function takePassFromFragment(): string | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const pass = fragment.get('pass');
  if (window.location.hash !== '') {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return pass === null || pass === '' ? null : pass;
}

type PassState =
  | { readonly state: 'checking' }
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly message: string }
  | { readonly state: 'valid'; readonly view: OnboardingPassView };

// Kept for the life of the page: React's StrictMode mounts twice, and the second mount must still
// find the pass the first one took out of the address bar.
let passFromLink: string | null = null;

function passForThisPage(): string | null {
  const taken = takePassFromFragment();
  if (taken !== null) passFromLink = taken;
  return passFromLink;
}

const KINDS: readonly {
  readonly kind: EnrolmentKind;
  readonly label: string;
  readonly description: string;
}[] = [
  {
    kind: 'passkey',
    label: 'Create a passkey',
    description: 'Saved by this device or your password manager, and available on your other devices.',
  },
  {
    kind: 'security-key',
    label: 'Use a security key',
    description:
      'A hardware key you plug in or tap, such as a YubiKey. It can reach the highest assurance level.',
  },
];

export function OnboardPage() {
  const { navigate } = useNavigation();
  const [pass] = useState(passForThisPage);
  const [passState, setPassState] = useState<PassState>(
    pass === null ? { state: 'missing' } : { state: 'checking' },
  );
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const nameId = useId();

  useEffect(() => {
    if (pass === null) return;
    let cancelled = false;
    api.describePass(pass).then(
      (view) => {
        if (!cancelled) setPassState({ state: 'valid', view });
      },
      (error: unknown) => {
        if (!cancelled) setPassState({ state: 'invalid', message: describeError(error, 'register') });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [pass]);

  const enrol = async (kind: EnrolmentKind) => {
    if (busy || pass === null) return;
    setBusy(true);
    setNotice({
      tone: 'info',
      text:
        kind === 'passkey'
          ? 'Follow your browser’s prompt to create your passkey.'
          : 'Insert or tap your security key when your browser asks for it.',
    });
    try {
      const options = await api.onboardingOptions(pass, kind);
      const response = await createCredential(options);
      setNotice({ tone: 'info', text: 'Saving…' });
      const trimmed = name.trim();
      const { credential, warnings } = await api.onboardingVerify(
        pass,
        response,
        trimmed === '' ? undefined : trimmed,
      );
      const ready = `You are all set: “${credential.name}” is ready, and you are signed in.`;
      // Warn phase: enrolled, and told now what their role will require and by when.
      navigate('/account', {
        replace: true,
        notice:
          warnings.length === 0
            ? { tone: 'success', text: ready }
            : { tone: 'info', text: `${ready} ${sentences(warnings)}` },
      });
    } catch (error) {
      setBusy(false);
      setNotice({ tone: 'error', text: describeError(error, 'register') });
    }
  };

  return (
    <Shell title="Set up your sign-in">
      {passState.state === 'checking' && (
        <p className="lead" role="status">
          Checking your setup link…
        </p>
      )}
      {passState.state === 'missing' && (
        <>
          <p className="lead">This page needs the setup link your administrator sent you.</p>
          <p>Open that link again. If it has expired, ask your administrator for a new one.</p>
          <p>
            <Link to="/">Already set up? Sign in</Link>
          </p>
        </>
      )}
      {passState.state === 'invalid' && (
        <>
          <div className="live" role="alert">
            <p className="notice notice-error">{passState.message}</p>
          </div>
          <p>
            <Link to="/">Already set up? Sign in</Link>
          </p>
        </>
      )}
      {passState.state === 'valid' && (
        <>
          <p className="lead">
            Welcome, {passState.view.displayName}. Choose how you will sign in as{' '}
            <strong className="username">{passState.view.username}</strong>. There is no password to remember.
          </p>
          <p className="hint">This link works once, until {formatDateTime(passState.view.expiresAt)}.</p>
          <LiveNotice notice={notice} />
          <div className="card stack">
            <div className="field">
              <label htmlFor={nameId}>
                Name for it <span className="optional">(optional)</span>
              </label>
              <input
                id={nameId}
                name="credential-name"
                type="text"
                maxLength={64}
                autoComplete="off"
                value={name}
                onChange={(event) => setName(event.target.value)}
                aria-describedby={`${nameId}-hint`}
              />
              <p className="hint" id={`${nameId}-hint`}>
                For example “Work laptop” or “Blue key”, so you can tell your keys apart later.
              </p>
            </div>
            <ul className="choices">
              {KINDS.map(({ kind, label, description }) => (
                <li key={kind}>
                  <button
                    type="button"
                    className="choice"
                    aria-disabled={busy}
                    aria-labelledby={`${nameId}-${kind}-label`}
                    aria-describedby={`${nameId}-${kind}`}
                    onClick={() => void enrol(kind)}
                  >
                    <span className="choice-icon">
                      {kind === 'passkey' ? <PasskeyGlyph size={28} /> : <SecurityKeyGlyph size={28} />}
                    </span>
                    <span className="choice-text">
                      <span className="choice-label" id={`${nameId}-${kind}-label`}>
                        {label}
                      </span>
                      <span className="choice-description" id={`${nameId}-${kind}`}>
                        {description}
                      </span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        </>
      )}
    </Shell>
  );
}
