import { useState, type FormEvent } from 'react';
import { useArena, useT } from '../useArena';
import { registerAccount, signInWithPassword } from '../account';

/** Email + password: sign in, or register (a signed-in guest upgrades and keeps its user id). */
export function AccountForm({ mode, upgrade = false, onDone }: { mode: 'login' | 'register'; upgrade?: boolean; onDone?: () => void }) {
  const arena = useArena();
  const t = useT();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState(() => (upgrade ? arena.getState().auth?.display_name ?? '' : ''));
  const [coach, setCoach] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const reg = mode === 'register';

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!email.includes('@') || password.length < (reg ? 8 : 1) || (reg && !name.trim())) {
      setErr(t('acct.fieldsRequired'));
      return;
    }
    setErr(null);
    setBusy(true);
    const ok = reg
      ? await registerAccount(arena, { email, password, display_name: name.trim(), role: coach ? 'coach' : 'candidate' })
      : await signInWithPassword(arena, email, password);
    setBusy(false);
    if (ok) onDone?.();
  }

  const id = (s: string) => `${mode}-${s}`;
  return (
    <form className="account-form" onSubmit={submit} noValidate data-testid={`${mode}-form`}>
      <label htmlFor={id('email')}>{t('acct.email')}</label>
      <input id={id('email')} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <label htmlFor={id('password')}>{t('acct.password')}</label>
      <input
        id={id('password')}
        name="password"
        type="password"
        autoComplete={reg ? 'new-password' : 'current-password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        aria-describedby={reg ? id('pw-hint') : undefined}
      />
      {reg && (
        <>
          <p id={id('pw-hint')} className="hint">{t('acct.passwordHint')}</p>
          <label htmlFor={id('name')}>{t('acct.displayName')}</label>
          <input id={id('name')} name="display_name" maxLength={32} autoComplete="nickname" value={name} onChange={(e) => setName(e.target.value)} />
          <label className="check">
            <input type="checkbox" checked={coach} onChange={(e) => setCoach(e.target.checked)} /> {t('acct.roleCoach')}
          </label>
        </>
      )}
      {err && (
        <p className="field-err" role="alert">
          {err}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? t('acct.busy') : reg ? (upgrade ? t('acct.upgrade') : t('acct.register')) : t('acct.login')}
      </button>
    </form>
  );
}
