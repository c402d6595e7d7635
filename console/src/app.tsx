/** The console: configuration, sign-in, the navigation and the hash routes. */
import './style.css';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApiClient, type Session } from './api';
import { cognitoSignOutUrl, completeCognitoSignIn, loadSession, saveSession, type ConsoleConfig } from './auth';
import { CatalogPage } from './pages/catalog';
import { DeployPage } from './pages/deploy';
import { DeploymentPage } from './pages/deployment';
import { DeploymentsPage } from './pages/deployments';
import { KeysPage } from './pages/keys';
import { SignInPage } from './pages/signin';
import { AppContext, useHashRoute } from './ui';

const NAV = [
  ['deployments', 'Deployments'],
  ['deploy', 'Deploy'],
  ['keys', 'Inference keys'],
  ['catalog', 'Catalog'],
] as const;

const App = ({ config }: { config: ConsoleConfig }) => {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [signInError, setSignInError] = useState<string | undefined>(undefined);
  const route = useHashRoute();

  useEffect(() => {
    if (config.auth.mode === 'cognito' && !session) completeCognitoSignIn(config.auth).then((s) => s && signIn(s), (e: Error) => setSignInError(e.message));
  }, []);
  const signIn = (s: Session) => {
    saveSession(s);
    setSession(s);
    if (!location.hash || location.hash === '#/') location.hash = '#/deployments';
  };
  const signOut = (reason?: string) => {
    saveSession(undefined);
    setSession(undefined);
    setSignInError(reason);
    if (config.auth.mode === 'cognito' && !reason) location.assign(cognitoSignOutUrl(config.auth));
  };
  const api = useMemo(() => session && createApiClient(config.apiUrl, session, () => signOut('The API refused the token (401): sign in again.')), [session]);

  if (!session || !api) return <SignInPage config={config} onSignedIn={signIn} error={signInError} />;
  const [page = 'deployments', id] = route;
  const setProject = (project: string) => signIn({ ...session, project_id: project });
  const wildcard = session.project_ids.includes('*');
  return (
    <AppContext.Provider value={{ api, session, setProject }}>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <strong class="brand">GPU control plane</strong>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([target, label]) => (
              <li key={target}>
                <a href={`#/${target}`} aria-current={page === target ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <label for="project">Project</label>
          {wildcard ? (
            <input id="project" value={session.project_id} onChange={(e) => setProject(e.currentTarget.value)} size={12} />
          ) : (
            <select id="project" value={session.project_id} onChange={(e) => setProject(e.currentTarget.value)}>
              {session.project_ids.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
          <span class="hint">
            {session.org_id} · {session.role}
          </span>
          <button type="button" class="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} key={`${session.project_id}`}>
        {page === 'deployments' && id ? (
          <DeploymentPage id={id} key={id} />
        ) : page === 'deploy' ? (
          <DeployPage />
        ) : page === 'keys' ? (
          <KeysPage />
        ) : page === 'catalog' ? (
          <CatalogPage />
        ) : (
          <DeploymentsPage />
        )}
      </main>
    </AppContext.Provider>
  );
};

const start = async () => {
  const root = document.getElementById('app')!;
  try {
    const response = await fetch('/console/config.json');
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    const config = (await response.json()) as ConsoleConfig;
    root.replaceChildren(); // the static "Loading" placeholder
    render(<App config={config} />, root);
  } catch (error) {
    root.textContent = `The console could not load its configuration: ${(error as Error).message}`;
  }
};
void start();
