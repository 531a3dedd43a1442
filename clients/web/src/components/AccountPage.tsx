import { useEffect, useState, type FormEvent } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import { download, ensureFresh, type CohortSummary } from '../account';
import { go } from '../route';
import { AccountForm } from './AccountForms';

/** #/account: who you are, upgrade a guest, cohorts you joined (consent), export and delete your data. */
export function AccountPage() {
  const arena = useArena();
  const t = useT();
  const auth = useArenaState((s) => s.auth)!;
  const [cohorts, setCohorts] = useState<CohortSummary[] | null>(null);
  const [code, setCode] = useState('');
  const isAccount = auth.kind === 'account';

  async function load() {
    if (!isAccount) return;
    await ensureFresh(arena);
    try {
      setCohorts((await arena.http.request<{ cohorts: CohortSummary[] }>('GET', '/api/v1/cohorts')).cohorts);
    } catch (e) {
      arena.showError(e);
    }
  }
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [auth.user_id, isAccount]);

  async function join(e: FormEvent) {
    e.preventDefault();
    if (!code.trim()) return;
    await ensureFresh(arena);
    try {
      const r = await arena.http.request<{ name: string; coach_name: string }>('POST', '/api/v1/cohorts/join', { invite_code: code });
      arena.toast(t('acct.joined', { name: r.name, coach: r.coach_name }), 'success');
      setCode('');
      void load();
    } catch (err) {
      arena.showError(err);
    }
  }

  async function leave(id: string) {
    await ensureFresh(arena);
    try {
      await arena.http.request('POST', `/api/v1/cohorts/${encodeURIComponent(id)}/leave`);
      void load();
    } catch (err) {
      arena.showError(err);
    }
  }

  async function remove() {
    if (!window.confirm(t('acct.deleteConfirm'))) return;
    await ensureFresh(arena);
    try {
      await arena.http.request('DELETE', '/api/v1/me');
      arena.toast(t('acct.deleted'), 'info');
      arena.signOut();
      go('');
    } catch (err) {
      arena.showError(err);
    }
  }

  return (
    <section className="account-page" data-testid="account-page">
      <div className="inline">
        <h1>{t('acct.page')}</h1>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => go('')}>
          {t('acct.back')}
        </button>
      </div>
      <div className="card">
        <p>
          <strong>{auth.display_name}</strong> · {isAccount ? auth.email : t('acct.tabGuest')} ·{' '}
          {t(auth.role === 'coach' ? 'acct.role.coach' : 'acct.role.candidate')}
        </p>
        {!isAccount && (
          <>
            <p className="hint">{t('acct.guestNotice')}</p>
            <p className="hint">{t('acct.upgradeHint')}</p>
            <AccountForm mode="register" upgrade />
          </>
        )}
      </div>
      {isAccount && (
        <div className="card">
          <h2>{t('acct.cohorts')}</h2>
          {cohorts && cohorts.filter((c) => c.role === 'member').length === 0 && <p className="hint">{t('acct.noCohorts')}</p>}
          <ul className="cohort-list">
            {(cohorts ?? [])
              .filter((c) => c.role === 'member')
              .map((c) => (
                <li key={c.cohort_id}>
                  {c.name} · {c.coach_name}{' '}
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => leave(c.cohort_id)}>
                    {t('acct.leave')}
                  </button>
                </li>
              ))}
          </ul>
          <form onSubmit={join} className="inline">
            <label htmlFor="invite-code">{t('acct.joinCode')}</label>
            <input id="invite-code" value={code} maxLength={32} onChange={(e) => setCode(e.target.value)} placeholder="ABCD2345" />
            <button type="submit" className="btn btn-primary btn-sm">
              {t('acct.join')}
            </button>
          </form>
          <p className="hint">{t('acct.joinConsent')}</p>
        </div>
      )}
      <div className="card">
        <h2>{t('acct.dataRights')}</h2>
        <div className="inline">
          <button type="button" className="btn btn-ghost" onClick={() => download(arena, '/api/v1/me/export', 'interview-arena-data.json')}>
            {t('acct.export')}
          </button>
          <button type="button" className="btn btn-danger" onClick={remove}>
            {t('acct.delete')}
          </button>
        </div>
      </div>
    </section>
  );
}
