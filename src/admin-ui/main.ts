// The app shell: asks admin/init whether to show the login form or the app,
// then a header with the navigation and one page per hash route
// (#/status, #/actions, #/tail, #/consumers), so the server needs no SPA fallback.

import { html } from 'htm/preact';
import { render, type ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getToken, init, logout, onUnauthorized } from './api.js';
import { ActionsPage } from './actions.js';
import { ConsumersPage } from './consumers.js';
import { LoginPage } from './login.js';
import { StatusPage } from './status.js';
import { TailPage } from './tail.js';

const PAGES: { route: string; title: string; page: ComponentType }[] = [
  { route: 'status', title: 'Status', page: StatusPage },
  { route: 'actions', title: 'Actions', page: ActionsPage },
  { route: 'tail', title: 'Channel tail', page: TailPage },
  { route: 'consumers', title: 'Consumers', page: ConsumersPage },
];

/** The page a hash names: #/tail → tail; anything unknown → status. */
function routeOf(hash: string): string {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return PAGES.some((p) => p.route === name) ? name : 'status';
}

function useRoute(): string {
  const [route, setRoute] = useState(() => routeOf(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(routeOf(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

type Phase = { kind: 'loading' } | { kind: 'login'; message: string | null } | { kind: 'app' } | { kind: 'down'; error: string };

function Shell({ insecure, onLogout }: { insecure: boolean; onLogout: () => void }) {
  const route = useRoute();
  const current = PAGES.find((p) => p.route === route)!;
  useEffect(() => {
    document.title = `${current.title} · Tributary admin`;
  }, [current]);
  return html`<div class="shell">
    <header class="topbar">
      <a class="brand" href="#/status"><img src="favicon.svg" alt="" width="24" height="24" /><span>Tributary</span></a>
      <nav class="nav">
        ${PAGES.map(
          (p) =>
            html`<a
              key=${p.route}
              href=${`#/${p.route}`}
              data-testid=${`nav-${p.route}`}
              class=${p.route === route ? 'active' : ''}
              aria-current=${p.route === route ? 'page' : undefined}
              >${p.title}</a
            >`,
        )}
      </nav>
      <span class="spacer"></span>
      ${
        insecure
          ? html`<span class="pill pill-unhealthy" title="admin.insecure is on: anyone who reaches this port is admin">insecure mode</span>`
          : html`<button class="btn btn-ghost" type="button" data-testid="logout" onClick=${onLogout}>Log out</button>`
      }
    </header>
    ${insecure ? html`<div class="banner">Insecure mode: the admin endpoints ask for no password. Keep this port behind a firewall.</div>` : null}
    <main class="content"><${current.page} key=${route} /></main>
  </div>`;
}

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [insecure, setInsecure] = useState(false);

  const start = async () => {
    setPhase({ kind: 'loading' });
    try {
      const reply = await init();
      setInsecure(reply.insecure);
      if (reply.insecure || reply.authenticated) return setPhase({ kind: 'app' });
      const hadToken = getToken() !== null;
      logout();
      setPhase({ kind: 'login', message: hadToken ? 'Your session has expired: log in again.' : null });
    } catch (err) {
      setPhase({ kind: 'down', error: err instanceof Error ? err.message : String(err) });
    }
  };

  useEffect(() => {
    onUnauthorized(() => setPhase({ kind: 'login', message: 'Unauthorized' }));
    void start();
  }, []);

  switch (phase.kind) {
    case 'loading':
      return html`<div class="center muted">Loading…</div>`;
    case 'down':
      return html`<div class="center">
        <div class="card narrow-card">
          <h1>Cannot reach Tributary</h1>
          <p class="error-text">${phase.error}</p>
          <button class="btn btn-primary" type="button" onClick=${start}>Try again</button>
        </div>
      </div>`;
    case 'login':
      return html`<${LoginPage} message=${phase.message} onLoggedIn=${() => setPhase({ kind: 'app' })} />`;
    case 'app':
      return html`<${Shell}
        insecure=${insecure}
        onLogout=${() => {
          logout();
          setPhase({ kind: 'login', message: null });
        }}
      />`;
  }
}

render(html`<${App} />`, document.getElementById('app')!);
