// The app's URLs, all under /app (the server answers index.html for each): /app/signin?next=…,
// /app/inbox?view=…&q=…, /app/cases/{id}, /app/customers?q=…, /app/customers/{id},
// /app/rules, /app/rules/{id} (/app/rules/new for a new one),
// /app/dashboard?metric=…&… (dashboard/view.ts reads its query). Navigation is the History API; App
// listens to popstate.
export const base = '/app';

export type Route =
  | { screen: 'signin'; next: string }
  | { screen: 'inbox'; view: string; q: string }
  | { screen: 'case'; caseId: string }
  | { screen: 'dashboard'; search: string }
  | { screen: 'customers'; q: string }
  | { screen: 'customer'; customerId: string }
  | { screen: 'rules' }
  | { screen: 'rule'; ruleId: string };  // ruleId 'new': the form for a new rule

export function currentRoute(): Route {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  const params = new URLSearchParams(location.search);
  const caseMatch = /^\/cases\/([^/]+)$/.exec(path);
  if (caseMatch?.[1]) return { screen: 'case', caseId: decodeURIComponent(caseMatch[1]) };
  const customerMatch = /^\/customers\/([^/]+)$/.exec(path);
  if (customerMatch?.[1]) return { screen: 'customer', customerId: decodeURIComponent(customerMatch[1]) };
  const ruleMatch = /^\/rules\/([^/]+)$/.exec(path);
  if (ruleMatch?.[1]) return { screen: 'rule', ruleId: decodeURIComponent(ruleMatch[1]) };
  if (path === '/rules') return { screen: 'rules' };
  if (path === '/customers') return { screen: 'customers', q: params.get('q') ?? '' };
  if (path === '/signin') return { screen: 'signin', next: params.get('next') ?? '' };
  if (path === '/dashboard') return { screen: 'dashboard', search: location.search };
  return { screen: 'inbox', view: params.get('view') ?? 'mine', q: params.get('q') ?? '' };
}

const listeners = new Set<() => void>();
export function onNavigate(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

// `to` is a path below /app ("/inbox?view=all") or, for the return after sign-in, a whole /app URL.
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = to.startsWith(base + '/') || to === base ? to : base + to;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

// Where to come back to after signing in again: only a path of this app, never another site.
export function safeNext(next: string): string {
  return next.startsWith(base + '/') && !next.startsWith('//') && !next.includes('\\') ? next : base + '/inbox';
}

export function here(): string {
  return location.pathname + location.search;
}

// An in-app link: a real href (open in a new tab, copy the address) that navigates without a reload.
export function linkTo(path: string): { href: string; onClick: (event: MouseEvent) => void } {
  return {
    href: base + path,
    onClick: (event: MouseEvent) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(path);
    },
  };
}
