// Actions that change state: each one is confirmed in a dialog that shows the exact request, and its answer —
// success or error, as the API said it — is shown next to the control that sent it.
import { request, statusLine, sessionPath } from './api.js';
import { h, replace, announce, append } from './dom.js';
import { sessionHref } from './routes.js';

/**
 * Asks for confirmation. `fields` are extra inputs shown in the dialog (e.g. a cancel reason); `describe(values)`
 * gives the request that will be sent, shown live as the user types. Resolves with the values, or null when declined.
 */
export function confirmDialog({ title, message, confirmLabel, danger = false, fields = [], describe }) {
  return new Promise(resolve => {
    const inputs = fields.map(field => {
      const input = h('input', { id: `dialog-${field.name}`, name: field.name, type: 'text', value: field.value ?? '', autocomplete: 'off' });
      return { field, input };
    });
    const requestText = h('pre', { class: 'small', 'aria-label': 'Request to send' });
    const update = () => { requestText.textContent = describe(values()); };
    const values = () => Object.fromEntries(inputs.map(({ field, input }) => [field.name, input.value]));
    const confirm = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', value: 'confirm' }, confirmLabel);
    const back = h('button', { type: 'button', value: 'cancel' }, 'Back');
    const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-message' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, title),
        h('p', { id: 'dialog-message' }, message),
        inputs.map(({ field, input }) => h('div', { class: 'field' }, h('label', { for: input.id }, field.label), input)),
        h('p', { class: 'small muted' }, 'Request:'),
        requestText,
        h('div', { class: 'buttons' }, back, confirm)));
    let answered = false;
    const finish = result => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    for (const { input } of inputs) input.addEventListener('input', update);
    back.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', () => finish(null));   // Escape
    dialog.querySelector('form').addEventListener('submit', event => {
      event.preventDefault();
      finish(values());
    });
    update();
    document.body.append(dialog);
    dialog.showModal();
    (inputs[0]?.input ?? confirm).focus();
  });
}

/** Shows an API answer in `region`: the status line and the JSON body (or the text), styled by success. */
export function showAnswer(region, answer, summary) {
  region.classList.add('notice', 'answer');
  region.dataset.ok = String(answer.ok);
  region.dataset.status = String(answer.status);
  let body = '';
  if (answer.body !== null && answer.body !== undefined) body = JSON.stringify(answer.body, null, 2);
  else if (answer.text) body = answer.text;
  replace(region,
    h('div', { class: 'line' }, `${summary}: ${answer.method} /${answer.path} → ${statusLine(answer)}`),
    body ? h('pre', {}, body) : null);
  announce(`${summary}: ${statusLine(answer)}`);
}

/** An empty answer region (role=status, so screen readers hear the answer). */
export function answerRegion(name) {
  return h('div', { class: 'answer', role: 'status', 'data-answer': name });
}

const AGENTS = ['echo', 'sleep', 'fail'];
const POLICIES = ['reject', 'interrupt', 'enqueue'];

/**
 * The "start a demo run" form. With `sessionId` the run is for that session; without it the form asks for one.
 * `onAnswer(answer, sessionId)` is called after the API answered.
 */
export function demoRunForm({ sessionId = null, idPrefix, onAnswer }) {
  const id = name => `${idPrefix}-${name}`;
  const sessionInput = sessionId === null
    ? h('input', { id: id('session'), name: 'session', type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. demo' })
    : null;
  const agent = h('select', { id: id('agent'), name: 'agent' }, AGENTS.map(name => h('option', { value: name }, name)));
  const input = h('input', { id: id('input'), name: 'input', type: 'text', value: 'hello from the console', autocomplete: 'off' });
  const durationMs = h('input', { id: id('duration'), name: 'durationMs', type: 'number', min: '0', step: '100', value: '30000' });
  const policy = h('select', { id: id('policy'), name: 'onConflict' }, POLICIES.map(name => h('option', { value: name }, name)));
  const durationField = h('div', { class: 'field' }, h('label', { for: durationMs.id }, 'Duration (ms, sleep)'), durationMs);
  const inputField = h('div', { class: 'field grow' }, h('label', { for: input.id }, 'Input'), input);
  const syncFields = () => {
    durationField.hidden = agent.value !== 'sleep';
    inputField.hidden = agent.value === 'sleep';
  };
  agent.addEventListener('change', syncFields);
  syncFields();
  const answer = answerRegion('start');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start run…');
  const form = h('form', { 'aria-label': 'Start a demo run' },
    h('fieldset', {},
      h('legend', {}, 'Start a demo run'),
      h('div', { class: 'row' },
        sessionInput ? h('div', { class: 'field grow' }, h('label', { for: sessionInput.id }, 'Session id'), sessionInput) : null,
        h('div', { class: 'field' }, h('label', { for: agent.id }, 'Agent'), agent),
        inputField,
        durationField,
        h('div', { class: 'field' }, h('label', { for: policy.id }, 'If a run is active'), policy),
        submit),
      answer));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const target = sessionId ?? sessionInput.value;
    if (target === '') return;
    const body = { agent: agent.value, onConflict: policy.value };
    if (agent.value === 'sleep') body.durationMs = Number(durationMs.value || 0);
    else body.input = input.value;
    const path = sessionPath(target, '/runs');
    const confirmed = await confirmDialog({
      title: 'Start a demo run',
      message: `Start a "${agent.value}" run in session "${target}"?`,
      confirmLabel: 'Start run',
      describe: () => `POST /${path}\n${JSON.stringify(body, null, 2)}`,
    });
    if (!confirmed) return;
    submit.disabled = true;
    const result = await request('POST', path, body);
    submit.disabled = false;
    showAnswer(answer, result, 'Start run');
    if (sessionId === null && result.ok) append(answer, [h('a', { href: sessionHref(target) }, `Open session ${target}`)]);
    onAnswer?.(result, target);
  });
  return form;
}
