/** Small inline SVG glyphs (decorative: every one sits next to text that says the same). */

export function LogoMark({ size = 28 }: { readonly size?: number }) {
  return (
    <svg
      className="logo-mark"
      width={size}
      height={size}
      viewBox="0 0 32 32"
      aria-hidden="true"
      focusable="false"
    >
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <rect x="7" y="7" width="8" height="8" rx="1.5" fill="#fff" />
      <rect x="17" y="7" width="8" height="8" rx="1.5" fill="#fff" opacity="0.6" />
      <rect x="7" y="17" width="8" height="8" rx="1.5" fill="#fff" opacity="0.6" />
      <rect x="17" y="17" width="8" height="8" rx="1.5" fill="#fff" />
    </svg>
  );
}

/** A person with a key: passkeys. */
export function PasskeyGlyph({ size = 24 }: { readonly size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="glyph"
    >
      <circle cx="9" cy="7" r="4" fill="none" stroke="currentColor" strokeWidth="2" />
      <path
        d="M2 20c0-3.3 3.1-6 7-6 1.3 0 2.5.3 3.5.8"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
      />
      <circle cx="18" cy="13" r="3" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M18 16v5m0-2h2" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );
}

/** A USB key: security keys. */
export function SecurityKeyGlyph({ size = 24 }: { readonly size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="glyph"
    >
      <rect x="6" y="8" width="12" height="14" rx="3" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M9 8V3h6v5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
      <circle cx="12" cy="15" r="2" fill="currentColor" />
    </svg>
  );
}

/** A laptop with a lock: device-bound passkeys. */
export function DeviceGlyph({ size = 24 }: { readonly size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      className="glyph"
    >
      <rect x="4" y="4" width="16" height="11" rx="2" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M2 19h20" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      <rect x="10" y="9" width="4" height="3" rx="0.5" fill="currentColor" />
      <path d="M10.8 9V7.8a1.2 1.2 0 0 1 2.4 0V9" fill="none" stroke="currentColor" strokeWidth="1.2" />
    </svg>
  );
}
