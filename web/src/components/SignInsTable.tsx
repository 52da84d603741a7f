import { describeUserAgent, formatDateTime } from '../format';
import { SIGNAL_MESSAGES } from '../messages';
import type { SignInView } from '../types';
import { AssuranceBadge } from './Assurance';

/**
 * Recent sign-ins, most recent first, failed and refused attempts included with what happened,
 * so a person can tell when someone else is trying their account. On a narrow screen the table
 * scrolls sideways inside a focusable region, so it can be scrolled with the keyboard too.
 */
export function SignInsTable({
  signIns,
  labelledBy,
}: {
  readonly signIns: readonly SignInView[];
  readonly labelledBy: string;
}) {
  if (signIns.length === 0) return <p className="muted">No sign-ins yet.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1).
    <section className="table-scroll" aria-labelledby={labelledBy} tabIndex={0}>
      <table className="sign-ins">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">With</th>
            <th scope="col">Assurance</th>
            <th scope="col">User verified</th>
            <th scope="col">Browser</th>
            <th scope="col">IP address</th>
          </tr>
        </thead>
        <tbody>
          {signIns.map((signIn) => (
            <tr key={`${signIn.at}-${signIn.credentialId}`}>
              <td>
                <time dateTime={signIn.at}>{formatDateTime(signIn.at)}</time>
              </td>
              <td>
                {signIn.credentialName ?? <span className="muted">A removed credential</span>}
                {signIn.signals.map((signal) => (
                  <span key={signal} className="signal">
                    {SIGNAL_MESSAGES[signal] ?? signal}
                  </span>
                ))}
              </td>
              <td>
                {signIn.outcome === 'failed' ? (
                  <span className="badge badge-refused">Failed</span>
                ) : (
                  <AssuranceBadge aal={signIn.aal} compact />
                )}
              </td>
              <td>{signIn.userVerified ? 'Yes' : 'No'}</td>
              <td title={signIn.userAgent ?? undefined}>{describeUserAgent(signIn.userAgent)}</td>
              <td className="mono">{signIn.ip ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
