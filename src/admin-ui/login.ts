// The login form: the admin password goes to admin/auth, the token it returns
// is kept by api.ts. Wrong passwords and rate limiting show as they come.

import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { login } from './api.js';

export function LoginPage({ message, onLoggedIn }: { message: string | null; onLoggedIn: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (password === '') return setError('Enter the admin password.');
    setBusy(true);
    setError(null);
    try {
      await login(password);
      onLoggedIn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit}>
      <div class="login-brand">
        <img src="favicon.svg" alt="" width="40" height="40" />
        <div>
          <h1>Tributary</h1>
          <p class="muted">Admin</p>
        </div>
      </div>
      <label class="field">
        <span class="field-label">Password</span>
        <input
          type="password"
          name="password"
          autocomplete="current-password"
          data-testid="login-password"
          value=${password}
          onInput=${(e: Event) => setPassword((e.currentTarget as HTMLInputElement).value)}
          autofocus
        />
      </label>
      ${error ? html`<div class="alert alert-error" role="alert" data-testid="login-error">${error}</div>` : null}
      <button class="btn btn-primary btn-block" type="submit" data-testid="login-submit" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
      <p class="muted small">The password is <code>admin.password</code> in the server's configuration.</p>
    </form>
  </main>`;
}
