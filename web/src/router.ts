/**
 * A tiny router by `location.pathname`: three pages, so no routing library. A navigation can carry
 * a one-off notice for the next page ("You have signed out.").
 */
import { createContext, useContext } from 'react';

export interface Notice {
  readonly tone: 'info' | 'success' | 'error';
  readonly text: string;
}

export interface Navigation {
  readonly path: string;
  /** The notice handed over by the navigation that led here, if any. */
  readonly notice: Notice | null;
  /** False on the first page the browser loaded, true after an in-app navigation. */
  readonly navigated: boolean;
  /**
   * Go to another page. `redirect`: the person did not ask for this (a signed-in visitor of the
   * sign-in page), so the focus is not moved and the history entry is replaced.
   */
  navigate(
    to: string,
    options?: { readonly notice?: Notice; readonly replace?: boolean; readonly redirect?: boolean },
  ): void;
}

export const NavigationContext = createContext<Navigation | null>(null);

export function useNavigation(): Navigation {
  const navigation = useContext(NavigationContext);
  if (navigation === null) throw new Error('useNavigation outside <App>');
  return navigation;
}
