// Polling that runs only while the tab is visible (as Centrifugo's UI does), at
// once when it becomes visible again, and never overlaps itself.

import { useEffect, useRef } from 'preact/hooks';

/** Calls fn now and every intervalMs while the page is visible; stops on unmount. */
export function usePoll(fn: (signal: AbortSignal) => Promise<void> | void, intervalMs: number): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const tick = async () => {
      clearTimeout(timer);
      timer = undefined;
      if (controller.signal.aborted || document.visibilityState !== 'visible' || running) return;
      running = true;
      try {
        await latest.current(controller.signal);
      } catch {
        // The page shows its own errors; polling goes on.
      } finally {
        running = false;
      }
      if (!controller.signal.aborted && document.visibilityState === 'visible') timer = setTimeout(() => void tick(), intervalMs);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible' && timer === undefined) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs]);
}
