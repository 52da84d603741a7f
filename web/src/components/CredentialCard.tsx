import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api } from '../api';
import { formatDateTime } from '../format';
import { CLASS_DESCRIPTIONS, CLASS_NAMES, describeError } from '../messages';
import type { CredentialClass, CredentialView } from '../types';
import { AssuranceBadge } from './Assurance';
import { DeviceGlyph, PasskeyGlyph, SecurityKeyGlyph } from './Icons';

function ClassGlyph({ credentialClass }: { readonly credentialClass: CredentialClass }) {
  switch (credentialClass) {
    case 'synced-passkey':
      return <PasskeyGlyph size={24} />;
    case 'device-bound-passkey':
      return <DeviceGlyph size={24} />;
    default:
      return <SecurityKeyGlyph size={24} />;
  }
}

type Mode = 'view' | 'rename' | 'confirm-remove';

/**
 * One passkey or security key: what it is and what it is worth, with inline rename and a
 * confirmed remove. Focus moves into each inline form when it opens and back to the button that
 * opened it when it closes.
 */
export function CredentialCard({
  credential,
  inUse,
  onChanged,
  onRemoved,
}: {
  readonly credential: CredentialView;
  /** This session was signed in with it. */
  readonly inUse: boolean;
  readonly onChanged: (credential: CredentialView) => void;
  readonly onRemoved: (credential: CredentialView) => void;
}) {
  const id = useId();
  const [mode, setMode] = useState<Mode>('view');
  const [name, setName] = useState(credential.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  const returnFocusTo = useRef<'rename' | 'remove' | null>(null);

  useEffect(() => {
    if (mode === 'rename') nameInput.current?.select();
    else if (mode === 'confirm-remove') keepButton.current?.focus();
    else if (returnFocusTo.current !== null) {
      (returnFocusTo.current === 'rename' ? renameButton : removeButton).current?.focus();
      returnFocusTo.current = null;
    }
  }, [mode]);

  const close = (focus: 'rename' | 'remove') => {
    returnFocusTo.current = focus;
    setMode('view');
  };

  const onRename = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const trimmed = name.trim();
    if (trimmed === '') {
      setError('Enter a name, up to 64 characters.');
      nameInput.current?.focus();
      return;
    }
    if (trimmed === credential.name) {
      setError(null);
      close('rename');
      return;
    }
    setBusy(true);
    try {
      const renamed = await api.renameCredential(credential.id, trimmed);
      setError(null);
      onChanged(renamed);
      close('rename');
    } catch (failure) {
      setError(describeError(failure, 'register'));
      nameInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  const onRemove = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await api.removeCredential(credential.id);
      onRemoved(credential);
    } catch (failure) {
      setBusy(false);
      setError(
        failure instanceof ApiError && failure.code === 'last_credential'
          ? 'This is your only passkey or security key, so it cannot be removed: you would be locked out. Add another one first.'
          : describeError(failure, 'register'),
      );
      close('remove');
    }
  };

  const headingId = `${id}-name`;
  return (
    <li className="credential">
      <div className="credential-head">
        <span className="credential-icon">
          {credential.icon === null ? (
            <ClassGlyph credentialClass={credential.class} />
          ) : (
            <img src={credential.icon} alt="" width={32} height={32} />
          )}
        </span>
        <div className="credential-title">
          <h3 id={headingId}>{credential.name}</h3>
          <p className="credential-model">{credential.model ?? 'Model not identified'}</p>
          {inUse && <span className="badge badge-current">Used for this session</span>}
        </div>
      </div>

      <dl className="facts">
        <div>
          <dt>Type</dt>
          <dd>
            <span className="credential-class">{CLASS_NAMES[credential.class]}</span>
            <span className="fact-note">{CLASS_DESCRIPTIONS[credential.class]}</span>
          </dd>
        </div>
        <div>
          <dt>Assurance</dt>
          <dd>
            <AssuranceBadge aal={credential.aal} />
          </dd>
        </div>
        <div>
          <dt>Added</dt>
          <dd>
            <time dateTime={credential.createdAt}>{formatDateTime(credential.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            {credential.lastUsedAt === null ? (
              'Never'
            ) : (
              <time dateTime={credential.lastUsedAt}>{formatDateTime(credential.lastUsedAt)}</time>
            )}
          </dd>
        </div>
      </dl>

      {credential.reasons.length > 0 && (
        <details className="reasons">
          <summary>{credential.aal === null ? 'Why it is not accepted' : `Why ${credential.aal}`}</summary>
          <ul>
            {credential.reasons.map((reason) => (
              <li key={reason.code}>{reason.message}</li>
            ))}
          </ul>
        </details>
      )}

      <div className="live" role="alert">
        {error !== null && <p className="notice notice-error">{error}</p>}
      </div>

      {mode === 'view' && (
        <div className="actions">
          <button
            ref={renameButton}
            type="button"
            className="button small"
            onClick={() => {
              setName(credential.name);
              setError(null);
              setMode('rename');
            }}
          >
            Rename<span className="visually-hidden"> {credential.name}</span>
          </button>
          <button
            ref={removeButton}
            type="button"
            className="button small danger-outline"
            onClick={() => {
              setError(null);
              setMode('confirm-remove');
            }}
          >
            Remove<span className="visually-hidden"> {credential.name}</span>
          </button>
        </div>
      )}

      {mode === 'rename' && (
        <form className="inline-form" onSubmit={(event) => void onRename(event)} noValidate>
          <div className="field">
            <label htmlFor={`${id}-rename`}>New name for “{credential.name}”</label>
            <input
              ref={nameInput}
              id={`${id}-rename`}
              type="text"
              maxLength={64}
              autoComplete="off"
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <div className="actions">
            <button type="submit" className="button small primary" aria-disabled={busy}>
              Save
            </button>
            <button type="button" className="button small" onClick={() => close('rename')}>
              Cancel
            </button>
          </div>
        </form>
      )}

      {mode === 'confirm-remove' && (
        <fieldset className="confirm">
          <legend>Remove “{credential.name}”? You will no longer be able to sign in with it.</legend>
          <div className="actions">
            <button
              type="button"
              className="button small danger"
              aria-disabled={busy}
              onClick={() => void onRemove()}
            >
              Yes, remove it
            </button>
            <button ref={keepButton} type="button" className="button small" onClick={() => close('remove')}>
              Keep it
            </button>
          </div>
        </fieldset>
      )}
    </li>
  );
}
