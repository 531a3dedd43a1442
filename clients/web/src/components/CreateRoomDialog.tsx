import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useArena, useArenaState, useT } from '../useArena';
import { loc } from '../i18n';
import { CATEGORIES, DIFFICULTIES, type Category, type Lang, type Persona, type RoomSettings, type TurnMode } from '../types';
import { COMPANY_COLORS, Modal } from './common';

const personaCache: Partial<Record<Lang, Persona[]>> = {};
export function _resetPersonaCache() {
  delete personaCache.ko;
  delete personaCache.en;
}

function skillsOf(p: Persona, lang: Lang): string[] {
  const s: any = p.skills;
  if (Array.isArray(s)) return s.map((x) => loc(x, lang)).filter(Boolean);
  if (s && typeof s === 'object') return (s[lang] ?? s.en ?? s.ko ?? []) as string[];
  return [];
}

export function CreateRoomDialog({ onClose }: { onClose: () => void }) {
  const arena = useArena();
  const t = useT();
  const lang = useArenaState((s) => s.lang);
  const me = useArenaState((s) => s.auth?.display_name ?? '');
  const [personas, setPersonas] = useState<Persona[] | null>(personaCache[lang] ?? null);
  const [loadErr, setLoadErr] = useState<string | null>(null);
  const [picked, setPicked] = useState<Record<string, number>>({});
  const [title, setTitle] = useState(t('create.defaultTitle', { name: me }));
  const [questionCount, setQuestionCount] = useState(3);
  const [categories, setCategories] = useState<Category[]>([...CATEGORIES]);
  const [language, setLanguage] = useState<Lang>(lang);
  const [turnMode, setTurnMode] = useState<TurnMode>('round_robin');
  const [answerSeconds, setAnswerSeconds] = useState(60);
  const [maxHumans, setMaxHumans] = useState(4);
  const [priv, setPriv] = useState(false);
  const [difficulty, setDifficulty] = useState<string>('mixed');
  const [followUps, setFollowUps] = useState(false);
  const [scoreExpression, setScoreExpression] = useState(false);
  const followUpsAllowed = turnMode === 'round_robin';
  const [busy, setBusy] = useState(false);
  const [formErr, setFormErr] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoadErr(null);
    try {
      const list = await arena.http.personas(lang);
      personaCache[lang] = list;
      setPersonas(list);
    } catch (e) {
      setLoadErr(t('create.personasFailed'));
    }
  }, [arena, t, lang]);

  useEffect(() => {
    // The catalogue comes back in the UI language: reload it when the language changes.
    if (personaCache[lang]) setPersonas(personaCache[lang]!);
    else load();
  }, [lang, load]);

  useEffect(() => {
    // Pre-pick two candidates so "Create" works in one click.
    if (personas && Object.keys(picked).length === 0) {
      const init: Record<string, number> = {};
      personas.slice(0, 2).forEach((p) => (init[p.id] = 3));
      setPicked(init);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [personas]);

  function toggle(id: string) {
    setPicked((cur) => {
      const next = { ...cur };
      if (id in next) delete next[id];
      else if (Object.keys(next).length < 6) next[id] = 3;
      return next;
    });
  }

  function toggleCat(c: Category) {
    setCategories((cur) => (cur.includes(c) ? cur.filter((x) => x !== c) : [...cur, c]));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!categories.length) return setFormErr(t('create.needCategory'));
    if (!Object.keys(picked).length) return setFormErr(t('create.needPersona'));
    setFormErr(null);
    const settings: RoomSettings = {
      title: title.trim() || t('create.defaultTitle', { name: me }),
      personas: Object.entries(picked).map(([id, skill]) => ({ id, skill })),
      question_count: questionCount,
      language,
      turn_mode: turnMode,
      answer_seconds: answerSeconds,
      max_humans: maxHumans,
      private: priv,
      categories: CATEGORIES.filter((c) => categories.includes(c)),
      difficulty,
      // Follow-ups exist only in round robin: never ask for them in a simultaneous room.
      follow_ups: followUpsAllowed && followUps,
      score_expression: scoreExpression,
    };
    setBusy(true);
    const ok = await arena.createRoom(settings);
    setBusy(false);
    if (ok) onClose();
  }

  return (
    <Modal title={t('create.title')} onClose={onClose}>
      <form className="create-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="room-title">{t('create.roomTitle')}</label>
          <input id="room-title" value={title} maxLength={80} onChange={(e) => setTitle(e.target.value)} required />
        </div>

        <fieldset className="field">
          <legend>{t('create.personas')}</legend>
          <p className="hint">{t('create.personasHint')}</p>
          {loadErr && (
            <p className="field-err" role="alert">
              {loadErr}{' '}
              <button type="button" className="btn btn-sm btn-ghost" onClick={load}>
                {t('create.retry')}
              </button>
            </p>
          )}
          {!personas && !loadErr && <p className="muted">{t('common.loading')}</p>}
          <div className="persona-grid">
            {personas?.map((p) => {
              const on = p.id in picked;
              const name = loc(p.name, lang) || p.id;
              const company = loc(p.company, lang);
              return (
                <div key={p.id} className={`persona-card ${on ? 'on' : ''}`} style={{ ['--c' as any]: COMPANY_COLORS[p.id] ?? '#7c5cff' }} data-persona={p.id}>
                  <button
                    type="button"
                    className="persona-toggle"
                    aria-pressed={on}
                    onClick={() => toggle(p.id)}
                    aria-label={`${company} ${name}`}
                  >
                    <span className="persona-company">{company}</span>
                    <span className="persona-name">{name}</span>
                    <span className="persona-check" aria-hidden="true">{on ? '✓' : '+'}</span>
                  </button>
                  <p className="persona-summary">{loc(p.summary, lang)}</p>
                  <ul className="chips" aria-label="skills">
                    {skillsOf(p, lang).slice(0, 4).map((s) => (
                      <li key={s} className="chip">{s}</li>
                    ))}
                  </ul>
                  <label className="skill-row">
                    <span>{t('create.skill')}</span>
                    <input
                      type="range"
                      min={1}
                      max={5}
                      step={1}
                      value={picked[p.id] ?? 3}
                      disabled={!on}
                      aria-label={t('create.skillOf', { name: `${company} ${name}` })}
                      aria-valuetext={`${picked[p.id] ?? 3} / 5`}
                      onChange={(e) => setPicked((cur) => ({ ...cur, [p.id]: Number(e.target.value) }))}
                    />
                    <span className="skill-val" aria-hidden="true">{'★'.repeat(picked[p.id] ?? 3)}</span>
                  </label>
                </div>
              );
            })}
          </div>
        </fieldset>

        <div className="grid-2">
          <NumField id="q-count" label={t('create.questions')} min={1} max={20} value={questionCount} onChange={setQuestionCount} />
          <NumField id="a-secs" label={t('create.answerSeconds')} min={10} max={300} step={5} value={answerSeconds} onChange={setAnswerSeconds} />
          <NumField id="max-humans" label={t('create.maxHumans')} min={1} max={8} value={maxHumans} onChange={setMaxHumans} />
          <div className="field">
            <label htmlFor="difficulty">{t('create.difficulty')}</label>
            <select id="difficulty" value={difficulty} onChange={(e) => setDifficulty(e.target.value)}>
              {DIFFICULTIES.map((d) => (
                <option key={d} value={d}>{t(`diff.${d}` as any)}</option>
              ))}
            </select>
          </div>
        </div>

        <fieldset className="field">
          <legend>{t('create.categories')}</legend>
          <div className="check-row">
            {CATEGORIES.map((c) => (
              <label key={c} className={`pill-check ${categories.includes(c) ? 'on' : ''}`}>
                <input type="checkbox" checked={categories.includes(c)} onChange={() => toggleCat(c)} />
                {t(`cat.${c}` as any)}
              </label>
            ))}
          </div>
        </fieldset>

        <div className="grid-2">
          <fieldset className="field">
            <legend>{t('create.language')}</legend>
            <div className="check-row">
              {(['ko', 'en'] as Lang[]).map((l) => (
                <label key={l} className={`pill-check ${language === l ? 'on' : ''}`}>
                  <input type="radio" name="language" value={l} checked={language === l} onChange={() => setLanguage(l)} />
                  {t(`lang.${l}` as any)}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="field">
            <legend>{t('create.turnMode')}</legend>
            <div className="check-row">
              {(['round_robin', 'simultaneous'] as TurnMode[]).map((m) => (
                <label key={m} className={`pill-check ${turnMode === m ? 'on' : ''}`} title={t(m === 'round_robin' ? 'create.roundRobinHint' : 'create.simultaneousHint')}>
                  <input type="radio" name="turn_mode" value={m} checked={turnMode === m} onChange={() => setTurnMode(m)} />
                  {t(m === 'round_robin' ? 'create.roundRobin' : 'create.simultaneous')}
                </label>
              ))}
            </div>
          </fieldset>
        </div>

        <label className="switch-row">
          <input type="checkbox" checked={priv} onChange={(e) => setPriv(e.target.checked)} />
          <span className="switch" aria-hidden="true" />
          {t('create.private')}
        </label>

        <div className={`switch-field ${followUpsAllowed ? '' : 'is-disabled'}`}>
          <label className="switch-row">
            <input
              type="checkbox"
              data-testid="follow-ups"
              checked={followUpsAllowed && followUps}
              disabled={!followUpsAllowed}
              aria-describedby="follow-ups-hint"
              onChange={(e) => setFollowUps(e.target.checked)}
            />
            <span className="switch" aria-hidden="true" />
            {t('create.followUps')}
          </label>
          <p className="hint" id="follow-ups-hint">
            {followUpsAllowed ? t('create.followUpsHint') : t('create.followUpsOff')}
          </p>
        </div>

        <div className="switch-field">
          <label className="switch-row">
            <input
              type="checkbox"
              data-testid="score-expression"
              checked={scoreExpression}
              aria-describedby="score-expression-hint"
              onChange={(e) => setScoreExpression(e.target.checked)}
            />
            <span className="switch" aria-hidden="true" />
            {t('create.scoreExpression')}
          </label>
          <p className="hint" id="score-expression-hint">
            {t('create.scoreExpressionHint')}
          </p>
        </div>

        {formErr && (
          <p className="field-err" role="alert">
            {formErr}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            {t('create.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? t('create.busy') : t('create.submit')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function NumField(props: { id: string; label: string; min: number; max: number; step?: number; value: number; onChange: (v: number) => void }) {
  const { id, label, min, max, step = 1, value, onChange } = props;
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        step={step}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v) && v >= min && v <= max) onChange(Math.round(v));
        }}
        onBlur={() => {
          const v = clamp(Number(text), min, max);
          setText(String(v));
          onChange(v);
        }}
      />
    </div>
  );
}

function clamp(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return lo;
  return Math.min(hi, Math.max(lo, Math.round(v)));
}
