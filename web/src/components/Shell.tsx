import { type ReactNode, useEffect, useRef } from 'react';
import { useNavigation } from '../router';
import { LogoMark } from './Icons';

/**
 * The frame of every page: a skip link, the header, and a `<main>` whose `<h1>` takes the focus
 * after an in-app navigation, so keyboard and screen-reader users land at the new page's start.
 */
export function Shell({
  title,
  width = 'narrow',
  headerEnd,
  children,
}: {
  readonly title: string;
  readonly width?: 'narrow' | 'wide';
  readonly headerEnd?: ReactNode;
  readonly children: ReactNode;
}) {
  const { navigated } = useNavigation();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${title} · Tessera`;
  }, [title]);

  useEffect(() => {
    if (navigated) heading.current?.focus();
  }, [navigated]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className={`topbar-inner width-${width}`}>
          <span className="brand">
            <LogoMark />
            <span className="brand-name">Tessera</span>
          </span>
          {headerEnd !== undefined && <div className="topbar-end">{headerEnd}</div>}
        </div>
      </header>
      <main id="main" className={`page width-${width}`} tabIndex={-1}>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </main>
    </>
  );
}
