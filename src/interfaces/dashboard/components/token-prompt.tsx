// Asks for an API token when the API refuses the page without one.
import { useState } from 'preact/hooks';
import { setToken } from '../api.ts';

export function TokenPrompt() {
  const [value, setValue] = useState('');
  return (
    <div class="modal-backdrop">
      <form
        class="modal"
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) setToken(value.trim());
        }}
      >
        <h3>API token</h3>
        <p>
          The manager needs a token. Create one with <code>safeflash token create --role viewer --name me</code> (or operator, to act), or use the operator
          token in the manager's data directory. It is kept for this tab only.
        </p>
        <input
          class="input"
          type="password"
          // biome-ignore lint/a11y/noAutofocus: the prompt opens because the page needs a token; typing it is the only thing to do
          autoFocus
          placeholder="token"
          data-testid="token"
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
        />
        <div class="modal-actions">
          <button class="btn primary" type="submit" data-testid="token-submit">
            Use token
          </button>
        </div>
      </form>
    </div>
  );
}
