import type { PolicyNotice } from '../types';

/** One decision of the assurance policy, as the portal shows it. */
export interface PolicyDecisionNotice {
  readonly effect: 'allow' | 'warn' | 'deny';
  readonly reasons: readonly PolicyNotice[];
  /** When the requirement starts to apply (ISO 8601), or null. */
  readonly deadline: string | null;
}

/** "1 March 2026" for a deadline, in the person's locale (deadlines are dates at 00:00 UTC). */
const deadlineFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeZone: 'UTC' });

/**
 * The policy's warnings and what to do, with the date they start to apply: "From 1 March 2026,
 * your role requires more than you have now", then each reason. One notice per date; nothing when
 * the policy has nothing to say.
 */
export function PolicyNotices({
  decisions,
  headingId,
  heading = 'Your organisation’s security requirements',
}: {
  readonly decisions: readonly PolicyDecisionNotice[];
  readonly headingId: string;
  readonly heading?: string;
}) {
  const groups = new Map<string, { deadline: string | null; denied: boolean; messages: string[] }>();
  for (const decision of decisions) {
    const key = decision.deadline ?? '';
    const group = groups.get(key) ?? { deadline: decision.deadline, denied: false, messages: [] };
    group.denied ||= decision.effect === 'deny';
    for (const reason of decision.reasons)
      if (!group.messages.includes(reason.message)) group.messages.push(reason.message);
    groups.set(key, group);
  }
  const notices = [...groups.values()].filter((g) => g.messages.length > 0);
  if (notices.length === 0) return null;
  return (
    <section className="section" aria-labelledby={headingId}>
      <h2 id={headingId}>{heading}</h2>
      {notices.map((notice) => (
        <div
          key={notice.deadline ?? 'now'}
          className={`notice ${notice.denied ? 'notice-error' : 'notice-info'} policy-notice`}
        >
          {notice.deadline !== null && (
            <p>
              <strong>
                From{' '}
                <time dateTime={notice.deadline}>{deadlineFormat.format(new Date(notice.deadline))}</time>,
                your role requires more than you have now.
              </strong>
            </p>
          )}
          <ul>
            {notice.messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
