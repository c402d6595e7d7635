/** Small shared pieces: polling, formatting, a labelled field with its API error, the hash router. */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient, Session } from './api';

export interface AppContextValue {
  api: ApiClient;
  session: Session;
  setProject(project: string): void;
}
export const AppContext = createContext<AppContextValue | undefined>(undefined);
export const useApp = (): AppContextValue => {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
};

/** Loads now and every `everyMs` (0: once) while mounted; `reload` loads again at once. */
export const usePoll = <T,>(load: () => Promise<T>, everyMs: number, deps: readonly unknown[]) => {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await reload();
      if (!stopped && everyMs > 0) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
  return { data, error, reload };
};

/** The current hash route, e.g. `#/deployments/dep-1` -> ['deployments', 'dep-1']. */
export const useHashRoute = (): string[] => {
  const parse = () => location.hash.replace(/^#\/?/, '').split('/').filter((s) => s !== '').map(decodeURIComponent);
  const [parts, setParts] = useState(parse);
  useEffect(() => {
    const onChange = () => setParts(parse());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return parts;
};

export const money = (amount: number, currency = 'USD'): string =>
  new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: amount > 0 && amount < 0.01 ? 4 : 2, maximumFractionDigits: 4 }).format(amount);

export const duration = (seconds: number): string => {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
};

export const time = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '—');

export const StatusBadge = ({ status, phase }: { status: string; phase?: string }) => (
  <span class={`badge badge-${status}`}>
    {status}
    {phase && phase !== status ? <span class="badge-phase"> · {phase.replace(/_/g, ' ')}</span> : null}
  </span>
);

/** A label, its input, and the API's message when it names this field. */
export const Field = ({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) => (
  <div class={`field${error ? ' field-invalid' : ''}`}>
    <label for={id}>{label}</label>
    {children}
    {hint ? <small class="hint">{hint}</small> : null}
    {error ? (
      <p class="field-error" id={`${id}-error`} role="alert">
        {error}
      </p>
    ) : null}
  </div>
);

export const FormError = ({ message }: { message?: string }) =>
  message ? (
    <p class="form-error" role="alert">
      {message}
    </p>
  ) : null;

export const Loading = ({ error }: { error?: string }) => (error ? <p class="form-error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>);
