// Operator buttons: each asks for confirmation in a dialog, then calls the API and shows its answer.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';

export interface ActionProps {
  label: string;
  /** What the dialog asks, e.g. "Approve wave 2 of campaign nightly?" */
  question: ComponentChildren;
  /** Where to POST; several paths are posted one after the other (the first refusal stops and is shown). */
  path: string | string[];
  body?: unknown;
  kind?: 'primary' | 'danger' | 'plain';
  disabled?: boolean;
  testId?: string;
  onDone?: () => void;
}

export function ActionButton({ label, question, path, body, kind = 'plain', disabled, testId, onDone }: ActionProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      for (const one of typeof path === 'string' ? [path] : path) await api.post(one, body);
      setOpen(false);
      onDone?.();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" class={`btn ${kind}`} disabled={disabled} data-testid={testId} onClick={() => setOpen(true)}>
        {label}
      </button>
      {open && (
        // biome-ignore lint/a11y/noStaticElementInteractions: a click outside the dialog closes it, as Escape does from the keyboard
        <div
          class="modal-backdrop"
          onClick={(event) => event.target === event.currentTarget && !busy && setOpen(false)}
          onKeyDown={(event) => event.key === 'Escape' && !busy && setOpen(false)}
        >
          <div class="modal" role="dialog" aria-modal="true">
            <h3>{label}</h3>
            <p>{question}</p>
            {error && <div class="error-line">{error}</div>}
            <div class="modal-actions">
              <button type="button" class="btn plain" disabled={busy} onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button type="button" class={`btn ${kind === 'plain' ? 'primary' : kind}`} disabled={busy} data-testid="confirm" onClick={confirm}>
                {busy ? 'Working…' : `Yes, ${label.toLowerCase()}`}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
