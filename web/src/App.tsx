import { useCallback, useEffect, useMemo, useState } from 'react';
import { AccountPage } from './pages/AccountPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OnboardPage } from './pages/OnboardPage';
import { SignInPage } from './pages/SignInPage';
import { type Navigation, NavigationContext, type Notice } from './router';

interface RouteState {
  readonly path: string;
  readonly notice: Notice | null;
  readonly navigated: boolean;
  /** Changes on every navigation, so a page is mounted afresh even for the same path. */
  readonly key: number;
}

function Page({ path }: { readonly path: string }) {
  switch (path) {
    case '/':
      return <SignInPage />;
    case '/onboard':
      return <OnboardPage />;
    case '/account':
      return <AccountPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App() {
  const [route, setRoute] = useState<RouteState>(() => ({
    path: window.location.pathname,
    notice: null,
    navigated: false,
    key: 0,
  }));

  useEffect(() => {
    // A fragment-only change (the skip link) also fires popstate: the page stays as it is.
    const onPopState = () =>
      setRoute((previous) =>
        previous.path === window.location.pathname
          ? previous
          : { path: window.location.pathname, notice: null, navigated: true, key: previous.key + 1 },
      );
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  const navigate = useCallback<Navigation['navigate']>((to, options = {}) => {
    const redirect = options.redirect === true;
    if (options.replace === true || redirect) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setRoute((previous) => ({
      path: new URL(to, window.location.href).pathname,
      notice: options.notice ?? null,
      navigated: redirect ? previous.navigated : true,
      key: previous.key + 1,
    }));
  }, []);

  const navigation = useMemo<Navigation>(
    () => ({ path: route.path, notice: route.notice, navigated: route.navigated, navigate }),
    [route, navigate],
  );

  return (
    <NavigationContext.Provider value={navigation}>
      <Page key={route.key} path={route.path} />
    </NavigationContext.Provider>
  );
}
