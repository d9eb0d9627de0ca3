// Loads what a panel shows when its inputs change, keeping only the answer to the newest request (an
// older one arriving late is dropped), the error text of a failed one and what it failed with (an
// ApiError, for a panel that tells a refusal from a failure).
import { useEffect, useState } from 'preact/hooks';
import { errorText } from './api/client';

export function useLoaded<T>(load: () => Promise<T>, inputs: unknown[]): { value: T | null; error: string; failure: unknown } {
  const [value, setValue] = useState<T | null>(null);
  const [failure, setFailure] = useState<{ caught: unknown } | null>(null);
  useEffect(() => {
    let live = true;
    load().then(
      (found) => { if (live) { setValue(found); setFailure(null); } },
      (caught: unknown) => { if (live) setFailure({ caught }); },
    );
    return () => { live = false; };
  }, inputs);
  return { value, error: failure ? errorText(failure.caught) : '', failure: failure?.caught ?? null };
}
