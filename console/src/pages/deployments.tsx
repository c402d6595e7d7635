/** The live list of the project's deployments, polled every few seconds. */
import type { DeploymentList } from '../types';
import { Loading, money, StatusBadge, useApp, usePoll } from '../ui';

export const DeploymentsPage = () => {
  const { api, session } = useApp();
  const { data, error } = usePoll(() => api.call<DeploymentList>('listDeployments', { query: { limit: 100 } }), 3000, [session.project_id]);
  return (
    <section aria-labelledby="deployments-title">
      <header class="page-header">
        <h1 id="deployments-title">Deployments</h1>
        <a class="button primary" href="#/deploy">
          Deploy a model
        </a>
      </header>
      {!data ? (
        <Loading error={error} />
      ) : data.items.length === 0 ? (
        <p class="empty">
          No deployments in project {session.project_id} yet. <a href="#/deploy">Deploy a model</a>.
        </p>
      ) : (
        <table class="list" aria-describedby="deployments-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Replicas</th>
              <th scope="col" class="num">GPUs</th>
              <th scope="col" class="num">Cost to date</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((d) => (
              <tr key={d.id} data-deployment={d.id}>
                <td>
                  <a href={`#/deployments/${encodeURIComponent(d.id)}`}>{d.name}</a>
                </td>
                <td class="mono">{d.model_id}</td>
                <td>
                  <StatusBadge status={d.status} phase={d.phase} />
                </td>
                <td class="num">
                  {d.instances.running}/{d.replicas}
                </td>
                <td class="num">
                  {d.gpu_count * d.replicas} × {d.gpu_config_id}
                </td>
                <td class="num">{money(d.cost_to_date)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && error ? <p class="form-error" role="alert">Refresh failed: {error}</p> : null}
    </section>
  );
};
