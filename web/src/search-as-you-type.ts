// Search as you type: what is typed into a list's search box reaches the address once typing pauses.
import { useEffect } from 'react';
import { useLocation } from 'react-router';

const PAUSE_MS = 300;

/**
 * Applies `typed` with `apply` once typing pauses, unless it is already `applied`, or the user has
 * left the page meanwhile. A link followed within the pause has already changed the address while
 * this page stays on screen until the next one's code has loaded: applying the search then would
 * take the user back to the list.
 */
export function useSearchAsYouType(typed: string, applied: string, apply: (q: string) => void): void {
  const { pathname } = useLocation();
  useEffect(() => {
    if (typed === applied) return;
    const timer = window.setTimeout(() => {
      if (window.location.pathname === pathname) apply(typed);
    }, PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [typed, applied, apply, pathname]);
}
