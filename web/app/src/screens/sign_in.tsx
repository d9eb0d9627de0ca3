// Sign-in: tenant, e-mail and password; when the account has a second factor the server answers 401
// naming totp_code, and the form asks for the one-time code, then signs in with all four. A refusal
// shows the server's own message.
import { useState } from 'preact/hooks';
import { ApiError, api, type Session } from '../api/client';
import { t } from '../i18n/i18n';

const tenantKey = 'tp.tenant';

export function SignIn(props: { notice: string; onSignedIn: (session: Session) => void }) {
  const [tenant, setTenant] = useState(localStorage.getItem(tenantKey) ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.signIn({ tenant, email, password, ...(needsCode ? { totp_code: code } : {}) });
      localStorage.setItem(tenantKey, tenant);
      props.onSignedIn(await api.session());
    } catch (caught) {
      if (caught instanceof ApiError && caught.field === 'totp_code' && !needsCode) {
        setNeedsCode(true);
      } else {
        setError(caught instanceof ApiError ? caught.message : t('error.network'));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="signin card" onSubmit={submit} data-testid="signin-form">
      <h1>{needsCode ? t('auth.totp_title') : t('auth.title')}</h1>
      {props.notice && <p class="notice" role="status">{props.notice}</p>}
      {!needsCode ? (
        <>
          <label>
            {t('auth.tenant')}
            <input name="tenant" autocomplete="organization" required value={tenant}
              onInput={(event) => setTenant((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            {t('auth.email')}
            <input name="email" type="email" autocomplete="username" required value={email}
              onInput={(event) => setEmail((event.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            {t('auth.password')}
            <input name="password" type="password" autocomplete="current-password" required value={password}
              onInput={(event) => setPassword((event.currentTarget as HTMLInputElement).value)} />
          </label>
        </>
      ) : (
        <label>
          {t('auth.totp_code')}
          <input name="totp_code" inputMode="numeric" autocomplete="one-time-code" required value={code} autoFocus
            onInput={(event) => setCode((event.currentTarget as HTMLInputElement).value)} />
        </label>
      )}
      {error && <p class="error" role="alert" data-testid="signin-error">{error}</p>}
      <button type="submit" disabled={busy}>{needsCode ? t('auth.verify') : t('auth.sign_in')}</button>
    </form>
  );
}
