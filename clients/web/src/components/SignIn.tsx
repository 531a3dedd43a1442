import { useState, type FormEvent } from 'react';
import { useArena, useT } from '../useArena';
import { AccountForm } from './AccountForms';

export function SignIn() {
  const arena = useArena();
  const t = useT();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [tab, setTab] = useState<'guest' | 'login' | 'register'>('guest');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const n = name.trim();
    if (!n || n.length > 32) {
      setErr(t('signin.nameRequired'));
      return;
    }
    setErr(null);
    setBusy(true);
    await arena.signIn(n);
    setBusy(false);
  }

  return (
    <section className="signin">
      <div className="hero">
        <h1 className="hero-title">{t('app.name')}</h1>
        <p className="hero-sub">{t('app.tagline')}</p>
        <ul className="features">
          <li><span aria-hidden="true">🏢</span>{t('signin.feature1')}</li>
          <li><span aria-hidden="true">📊</span>{t('signin.feature2')}</li>
          <li><span aria-hidden="true">🏆</span>{t('signin.feature3')}</li>
        </ul>
      </div>
      <div className="card signin-card">
      <h2>{t('signin.title')}</h2>
      <div className="seg signin-tabs" role="tablist">
        {(['guest', 'login', 'register'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'on' : ''} onClick={() => setTab(k)}>
            {t(k === 'guest' ? 'acct.tabGuest' : k === 'login' ? 'acct.tabLogin' : 'acct.tabRegister')}
          </button>
        ))}
      </div>
      {tab !== 'guest' && <AccountForm key={tab} mode={tab} />}
      {tab === 'guest' && (
      <form className="signin-card signin-guest" onSubmit={submit} noValidate>
        <label htmlFor="display-name">{t('signin.name')}</label>
        <input
          id="display-name"
          name="display_name"
          autoComplete="nickname"
          maxLength={32}
          value={name}
          placeholder={t('signin.placeholder')}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={!!err}
          aria-describedby={err ? 'signin-err' : undefined}
          autoFocus
        />
        {err && (
          <p id="signin-err" className="field-err" role="alert">
            {err}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-lg" disabled={busy}>
          {busy ? t('signin.busy') : t('signin.go')}
        </button>
      </form>
      )}
      </div>
    </section>
  );
}
