// Every job, newest first, a page of 50 at a time; each links to its shareable /jobs/ID page.
import { useEffect, useState } from 'preact/hooks';
import { get, query, type JobSummary } from '../api.js';
import { ErrorLine } from '../components.js';
import { navigate } from '../router.js';
import { cellText, timeText } from '../util.js';

const PER_PAGE = 50;

export function HistoryPage({ page }: { page: number }) {
  const [data, setData] = useState<{ total: number; jobs: JobSummary[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    get<{ total: number; jobs: JobSummary[] }>(`/api/jobs${query({ offset: page * PER_PAGE, limit: PER_PAGE })}`).then(setData, setError);
  }, [page]);
  const pages = data ? Math.max(1, Math.ceil(data.total / PER_PAGE)) : 1;
  const go = (p: number) => navigate(`/history${query({ page: p || undefined })}`);
  return (
    <div class="page" data-testid="history-page">
      <h2>History</h2>
      <ErrorLine error={error} />
      <div class="toolbar">
        <button type="button" disabled={page <= 0} onClick={() => go(page - 1)}>
          Newer
        </button>
        <span>
          page {page + 1} of {pages} ({data?.total ?? 0} jobs)
        </span>
        <button type="button" data-testid="older" disabled={page + 1 >= pages} onClick={() => go(page + 1)}>
          Older
        </button>
      </div>
      <table class="list" data-testid="history">
        <thead>
          <tr>
            <th>Job</th>
            <th>Action</th>
            <th>Who</th>
            <th>When</th>
            <th>Filter</th>
            <th>Inputs</th>
            <th>State</th>
            <th>OK / failed / no reply / total</th>
          </tr>
        </thead>
        <tbody>
          {(data?.jobs ?? []).map((j) => (
            <tr key={j.id} data-job-id={j.id}>
              <td>
                <a href={`/jobs/${encodeURIComponent(j.id)}`} data-testid="history-link">
                  {j.id}
                </a>
              </td>
              <td>
                {j.agent} {j.action}
              </td>
              <td>{cellText(j.user, 40)}</td>
              <td>{timeText(j.created)}</td>
              <td>
                <code>{cellText(j.filter, 80)}</code>
              </td>
              <td>
                <code>{cellText(j.inputs, 80)}</code>
              </td>
              <td>{j.state}</td>
              <td>
                {j.stats.ok} / {j.stats.failed} / {j.stats.noReply} / {j.stats.total}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
