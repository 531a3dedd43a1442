// #/plan: the learning plan: weakest dimensions and topics, why (cited scores), what to practise,
// questions to retry, and a one-click solo room for each item.
import { useCallback, useEffect, useState } from 'react';
import { useArena, useArenaState } from '../useArena';
import { practiceApi, type Plan, type PlanItem } from './api';
import { usePT } from './i18n';

export function PlanPage() {
  const arena = useArena();
  const t = usePT();
  const token = useArenaState((s) => s.auth?.token ?? null);
  const lang = useArenaState((s) => s.lang);
  const [plan, setPlan] = useState<Plan | null>(null);

  const load = useCallback(async () => {
    try {
      setPlan(await practiceApi.plan(token, lang));
    } catch (e) {
      arena.showError(e);
    }
  }, [arena, token, lang]);
  useEffect(() => {
    load();
  }, [load]);

  async function solo(item: PlanItem) {
    if (await arena.createRoom(item.solo_room as any)) await arena.startMatch();
  }

  if (!plan) return <section className="card practice">{t('plan.loading')}</section>;
  return (
    <section className="card practice" data-testid="plan-page">
      <div className="inline" style={{ justifyContent: 'space-between' }}>
        <h2>{t('plan.title')}</h2>
        <button type="button" className="btn btn-ghost" onClick={load}>↻ {t('plan.refresh')}</button>
      </div>
      {plan.items.length === 0 ? (
        <p className="muted" data-testid="plan-empty">{t('plan.empty')}</p>
      ) : (
        <>
          <p className="muted">{t('plan.based', { a: plan.based_on.answers, m: plan.based_on.matches })}</p>
          <p>
            {t('plan.averages')}:{' '}
            {Object.entries(plan.averages).map(([d, v]) => (
              <span key={d} className="badge">{plan.labels?.[d] ?? d} {v}</span>
            ))}
          </p>
          <ol className="plan-items">
            {plan.items.map((item) => (
              <li key={item.id} className="card" data-testid="plan-item">
                <h3>{item.label ?? (item.kind === 'dimension' ? item.dimension : `${item.category} · ${item.topic}`)} — {item.average}/100</h3>
                <p><strong>{t('plan.why')}:</strong> {item.reason}</p>
                <p><strong>{t('plan.practice')}:</strong> {item.practice}</p>
                <p><strong>{t('plan.retry')}:</strong> {item.question_ids.join(', ')}</p>
                <button type="button" className="btn btn-primary" onClick={() => solo(item)} data-testid="plan-solo">
                  {t('plan.solo')}
                </button>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
