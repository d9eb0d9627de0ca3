// Loads what a panel shows when its inputs change, keeping only the answer to the newest request (an
// older one arriving late is dropped) and the error text of a failed one.
import { useEffect, useState } from 'preact/hooks';
import { errorText } from './api/client';

export function useLoaded<T>(load: () => Promise<T>, inputs: unknown[]): { value: T | null; error: string } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    load().then(
      (found) => { if (live) { setValue(found); setError(''); } },
      (caught) => { if (live) setError(errorText(caught)); },
    );
    return () => { live = false; };
  }, inputs);
  return { value, error };
}
