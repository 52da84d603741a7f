import type { Notice } from '../router';

/**
 * A live region that is always in the page, so screen readers announce what appears in it: errors
 * as alerts, everything else politely.
 */
export function LiveNotice({ notice, id }: { readonly notice: Notice | null; readonly id?: string }) {
  const assertive = notice?.tone === 'error';
  return (
    <div className="live" role={assertive ? 'alert' : 'status'} id={id}>
      {notice !== null && <p className={`notice notice-${notice.tone}`}>{notice.text}</p>}
    </div>
  );
}
