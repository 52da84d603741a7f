import { AAL_DESCRIPTIONS } from '../messages';
import type { AssuranceLevel } from '../types';

/** "AAL2 · high confidence", or that the level is refused. */
export function AssuranceBadge({
  aal,
  compact = false,
}: {
  readonly aal: AssuranceLevel | null;
  /** Only the badge on screen (tables); the words stay for screen readers. */
  readonly compact?: boolean;
}) {
  if (aal === null) return <span className="badge badge-refused">Not accepted</span>;
  return (
    <span className="assurance">
      <span className={`badge badge-${aal.toLowerCase()}`}>{aal}</span>{' '}
      <span className={compact ? 'visually-hidden' : 'assurance-words'}>{AAL_DESCRIPTIONS[aal]}</span>
    </span>
  );
}
