/** Sign-in: Cognito's hosted UI in AWS; in the local cloud, the dev token form or a pasted token. */
import { useState } from 'preact/hooks';
import type { Session } from '../api';
import { localSignIn, sessionFromToken, startCognitoSignIn, type ConsoleConfig } from '../auth';
import { Field, FormError } from '../ui';

export const SignInPage = ({ config, onSignedIn, error: initialError }: { config: ConsoleConfig; onSignedIn: (s: Session) => void; error?: string }) => {
  const [error, setError] = useState<string | undefined>(initialError);
  const [form, setForm] = useState({ org_id: 'org-acme', project_ids: 'prj-web', role: 'admin' });
  const [pasted, setPasted] = useState('');
  const auth = config.auth;
  return (
    <main class="signin" id="main">
      <h1>GPU control plane</h1>
      {auth.mode === 'cognito' ? (
        <section class="card">
          <h2>Sign in</h2>
          <button type="button" class="button primary" onClick={() => void startCognitoSignIn(auth).catch((e: Error) => setError(e.message))}>
            Sign in with your organisation's account
          </button>
          <FormError message={error} />
        </section>
      ) : (
        <>
          {auth.mode === 'local' ? (
          <section class="card local-only" aria-labelledby="local-title">
            <h2 id="local-title">Local cloud sign-in</h2>
            <p class="hint">
              Only <code>npm start</code> offers this: it signs a dev token with the local cloud's key for whichever tenant you name. A deployed stack signs in through
              Cognito instead.
            </p>
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                setError(undefined);
                localSignIn(auth.tokenUrl, form).then(onSignedIn, (err: Error) => setError(err.message));
              }}
            >
              <Field id="org_id" label="Organisation">
                <input id="org_id" value={form.org_id} onInput={(e) => setForm({ ...form, org_id: e.currentTarget.value })} />
              </Field>
              <Field id="project_ids" label="Projects (comma separated, or *)">
                <input id="project_ids" value={form.project_ids} onInput={(e) => setForm({ ...form, project_ids: e.currentTarget.value })} />
              </Field>
              <Field id="role" label="Role">
                <select id="role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
                  <option>admin</option>
                  <option>editor</option>
                  <option>viewer</option>
                </select>
              </Field>
              <button type="submit" class="button primary" id="local-sign-in">
                Sign in
              </button>
            </form>
          </section>
          ) : null}
          <section class="card" aria-labelledby="paste-title">
            <h2 id="paste-title">Or paste a token</h2>
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                try {
                  onSignedIn(sessionFromToken(pasted.trim(), 'pasted'));
                } catch (err) {
                  setError((err as Error).message);
                }
              }}
            >
              <Field id="token" label="Bearer token" hint="npm run --silent token -- --org <org> --project <project> (with the same DATA_DIR as npm start)">
                <textarea id="token" rows={3} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} />
              </Field>
              <button type="submit" class="button">
                Use this token
              </button>
            </form>
          </section>
          <FormError message={error} />
        </>
      )}
    </main>
  );
};
