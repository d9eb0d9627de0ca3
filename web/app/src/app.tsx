// The shell: who is signed in, which screen the URL names, the language, the header with sign-out.
import { useEffect, useState } from 'preact/hooks';
import { api, hasPermission, onSessionExpired, type Session } from './api/client';
import { language, languages, setLanguage, t, type Language } from './i18n/i18n';
import { currentRoute, here, linkTo, navigate, onNavigate, safeNext, type Route } from './router';
import { SignIn } from './screens/sign_in';
import { Inbox } from './screens/inbox';
import { CaseScreen } from './screens/case_view';
import { Dashboard } from './screens/dashboard';
import { CustomerList } from './screens/customers';
import { Customer360 } from './screens/customer_360';
import { RuleList, rulesPermission } from './screens/rules';
import { RuleEditor } from './screens/rule_editor';

export function App() {
  const [route, setRoute] = useState<Route>(currentRoute());
  const [session, setSession] = useState<Session | null | undefined>(undefined);  // undefined: still asking
  const [lang, setLang] = useState<Language>(language());
  const [notice, setNotice] = useState('');

  useEffect(() => onNavigate(() => setRoute(currentRoute())), []);
  useEffect(() => {
    // An expired session: back to sign-in, remembering where the user was (drafts are in sessionStorage).
    onSessionExpired(() => {
      if (currentRoute().screen === 'signin') return;
      setSession(null);
      setNotice(t('auth.expired'));
      navigate(`/signin?next=${encodeURIComponent(here())}`, { replace: true });
    });
    api.session().then(setSession, () => setSession(null));
  }, []);

  useEffect(() => {
    if (session === null && route.screen !== 'signin') {
      navigate(`/signin?next=${encodeURIComponent(here())}`, { replace: true });
    } else if (session && route.screen === 'signin') {
      navigate(safeNext(route.next), { replace: true });
    }
  }, [session, route]);

  const changeLanguage = (code: Language) => {
    setLanguage(code);
    setLang(code);
  };

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    setSession(null);
    setNotice(t('auth.signed_out'));
    navigate('/signin', { replace: true });
  };

  const languagePicker = (
    <label class="language">
      <span class="visually-hidden">{t('app.language')}</span>
      <select
        aria-label={t('app.language')}
        data-testid="language"
        value={lang}
        onChange={(event) => changeLanguage((event.currentTarget as HTMLSelectElement).value as Language)}
      >
        {languages.map((entry) => (
          <option key={entry.code} value={entry.code} data-user>
            {entry.name}
          </option>
        ))}
      </select>
    </label>
  );

  if (session === undefined) return <p class="loading">{t('app.loading')}</p>;
  if (!session || route.screen === 'signin') {
    return (
      <div class="signin-page">
        <header class="signin-header">
          <span class="brand" data-user>touchpoint</span>
          {languagePicker}
        </header>
        <SignIn
          notice={notice}
          onSignedIn={(signedIn) => {
            setNotice('');
            setSession(signedIn);
          }}
        />
      </div>
    );
  }
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" data-user {...linkTo('/inbox')}>touchpoint</a>
        <nav aria-label={t('app.navigation')}>
          <a {...linkTo('/inbox')} aria-current={route.screen === 'inbox' || route.screen === 'case' ? 'page' : undefined}>
            {t('nav.inbox')}
          </a>
          {hasPermission(session, 'customers:read') && (
            <a {...linkTo('/customers')} data-testid="nav-customers"
              aria-current={route.screen === 'customers' || route.screen === 'customer' ? 'page' : undefined}>
              {t('nav.customers')}
            </a>
          )}
          {hasPermission(session, 'analytics:read') && (
            <a {...linkTo('/dashboard')} data-testid="nav-dashboard" aria-current={route.screen === 'dashboard' ? 'page' : undefined}>
              {t('nav.dashboard')}
            </a>
          )}
          {hasPermission(session, rulesPermission) && (
            <a {...linkTo('/rules')} data-testid="nav-rules"
              aria-current={route.screen === 'rules' || route.screen === 'rule' ? 'page' : undefined}>
              {t('nav.rules')}
            </a>
          )}
        </nav>
        <span class="spacer" />
        <span class="who" data-testid="who" data-user>{session.user?.name}</span>
        {languagePicker}
        <button type="button" class="secondary" data-testid="sign-out" onClick={signOut}>
          {t('auth.sign_out')}
        </button>
      </header>
      <main>
        {route.screen === 'case' ? (
          <CaseScreen key={route.caseId} caseId={route.caseId} session={session} />
        ) : route.screen === 'dashboard' ? (
          <Dashboard search={route.search} session={session} />
        ) : route.screen === 'customer' ? (
          <Customer360 key={route.customerId} customerId={route.customerId} session={session} />
        ) : route.screen === 'rule' ? (
          <RuleEditor key={route.ruleId} ruleId={route.ruleId} session={session} />
        ) : route.screen === 'rules' ? (
          <RuleList session={session} />
        ) : route.screen === 'customers' ? (
          <CustomerList q={route.q} />
        ) : route.screen === 'inbox' ? (
          <Inbox view={route.view} q={route.q} />
        ) : null}
      </main>
    </div>
  );
}
