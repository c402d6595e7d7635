/** Sign-in: Cognito's hosted UI in AWS; in the local cloud, the dev token form or a pasted token. */
import { useState } from 'preact/hooks';
import type { Session } from '../api';
import { localSignIn, sessionFromToken, startCognitoSignIn, type ConsoleConfig } from '../auth';
import { Field, FormError } from '../ui';

type OnSignedIn = (session: Session) => void;
type OnError = (message: string | undefined) => void;

export const SignInPage = ({ config, onSignedIn, error: initialError }: { config: ConsoleConfig; onSignedIn: OnSignedIn; error?: string }) => {
  const [error, setError] = useState<string | undefined>(initialError);
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
        </section>
      ) : (
        <>
          {auth.mode === 'local' ? <LocalSignIn tokenUrl={auth.tokenUrl} onSignedIn={onSignedIn} onError={setError} /> : null}
          <PasteToken
            title={auth.mode === 'local' ? 'Or paste a token' : 'Paste a token from your identity provider'}
            hint={auth.mode === 'local' ? 'npm run --silent token -- --org <org> --project <project> (with the same DATA_DIR as npm start)' : undefined}
            onSignedIn={onSignedIn}
            onError={setError}
          />
        </>
      )}
      <FormError message={error} />
    </main>
  );
};

/** Local cloud only: the config names this form's endpoint only when `npm start` serves the console. */
const LocalSignIn = ({ tokenUrl, onSignedIn, onError }: { tokenUrl: string; onSignedIn: OnSignedIn; onError: OnError }) => {
  const [form, setForm] = useState({ org_id: 'org-acme', project_ids: 'prj-web', role: 'admin' });
  return (
    <section class="card local-only" aria-labelledby="local-title">
      <h2 id="local-title">Local cloud sign-in</h2>
      <p class="hint">
        Only <code>npm start</code> offers this: it signs a dev token with the local cloud's key for whichever tenant you name. A deployed stack signs in through Cognito
        instead.
      </p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          onError(undefined);
          localSignIn(tokenUrl, form).then(onSignedIn, (err: Error) => onError(err.message));
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
  );
};

const PasteToken = ({ title, hint, onSignedIn, onError }: { title: string; hint?: string; onSignedIn: OnSignedIn; onError: OnError }) => {
  const [pasted, setPasted] = useState('');
  return (
    <section class="card" aria-labelledby="paste-title">
      <h2 id="paste-title">{title}</h2>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            onError(undefined);
            onSignedIn(sessionFromToken(pasted.trim(), 'pasted'));
          } catch (err) {
            onError((err as Error).message);
          }
        }}
      >
        <Field id="token" label="Bearer token" hint={hint}>
          <textarea id="token" rows={3} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="button">
          Use this token
        </button>
      </form>
    </section>
  );
};
