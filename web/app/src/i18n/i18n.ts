// Every text the app shows goes through t(key). The catalogues are JSON, one per language with the
// same keys (web/tests/i18n_catalogue_test.mjs fails on a key missing in any language, or unused), and
// the key type comes from the English one, so tsc refuses a key that does not exist.
//
// The language is the user's choice (kept in localStorage), else the first of the browser's languages
// that the app has, else English. Dates and numbers are formatted by Intl in that language. Changing
// it re-renders the app from the top (App holds the language in its state).
import en from './en.json';
import cs from './cs.json';
import sk from './sk.json';
import pl from './pl.json';
import sl from './sl.json';

export type MessageKey = keyof typeof en;
export type Language = 'en' | 'cs' | 'sk' | 'pl' | 'sl';

const catalogues: Record<Language, Record<MessageKey, string>> = { en, cs, sk, pl, sl };
export const languages: { code: Language; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'cs', name: 'Čeština' },
  { code: 'sk', name: 'Slovenčina' },
  { code: 'pl', name: 'Polski' },
  { code: 'sl', name: 'Slovenščina' },
];
const storageKey = 'tp.language';

function isLanguage(code: string | null | undefined): code is Language {
  return !!code && code in catalogues;
}

function initialLanguage(): Language {
  const chosen = localStorage.getItem(storageKey);
  if (isLanguage(chosen)) return chosen;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLanguage(primary)) return primary;
  }
  return 'en';
}

let current: Language = initialLanguage();
document.documentElement.lang = current;

export function language(): Language {
  return current;
}

export function setLanguage(code: Language): void {
  current = code;
  localStorage.setItem(storageKey, code);
  document.documentElement.lang = code;
}

// The text for `key`, with {name} placeholders filled from `values`.
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  const text = catalogues[current][key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? (typeof values[name] === 'number' ? formatNumber(values[name] as number) : String(values[name])) : whole,
  );
}

// For Intl: the browser's own tag when it is of the chosen language (en-GB writes dates as the British
// do), else the language alone.
export function locale(): string {
  return (navigator.languages ?? []).find((tag) => tag.toLowerCase().split('-')[0] === current) ?? current;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(locale()).format(value);
}

// A decimal amount as the API gives it ("61.02"), formatted from the text itself (no binary float on
// the way), in its currency; a code Intl does not know is shown as it is.
export function formatMoney(amount: string, currency: string): string {
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(amount as Intl.StringNumericLiteral);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'byte' }).format(bytes);
  if (bytes < 1024 * 1024) {
    return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 1 }).format(bytes / 1024);
  }
  return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(
    bytes / (1024 * 1024),
  );
}
