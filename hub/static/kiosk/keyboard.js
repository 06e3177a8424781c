// On-screen keyboards for a touch screen: the dossier code's characters
// (digits, capital letters, '.', '-'), a numeric keypad, and a plain one for
// questions. The value lives in the field the keyboard writes to.
import { h, button } from './dom.js';

const LAYOUTS = {
  code: ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL', 'ZXCVBNM.-'],
  digits: ['123', '456', '789'],
  text: ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL?', 'ZXCVBNM,.'],
};

let counter = 0;

// A labelled field and its keys. `max`: the longest value; `onEnter`: the
// action the keyboard's own Enter key stands for (the screen's main button).
export function keyboard(layout, { label, max = 64, words, onChange = () => {}, editable = false, name }) {
  const id = `kb-field-${++counter}`;
  const field = h('input', {
    id,
    class: 'field',
    type: 'text',
    name,
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    inputmode: editable ? 'text' : 'none',
    readonly: !editable,
    maxlength: max,
  });
  field.value = '';
  const set = (value) => {
    field.value = value.slice(0, max);
    onChange(field.value);
  };
  field.addEventListener('input', () => onChange(field.value));
  const key = (char) =>
    button(char, () => set(field.value + char), { class: 'key', 'data-key': char, 'aria-label': char === '.' ? 'dấu chấm .' : char === '-' ? 'gạch ngang -' : null });
  const rows = LAYOUTS[layout].map((row) => h('div', { class: 'keys-row' }, [...row].map(key)));
  const tools = [button(words.erase, () => set(field.value.slice(0, -1)), { class: 'key wide', 'data-key': 'erase' })];
  if (layout === 'digits') rows[rows.length] = h('div', { class: 'keys-row' }, tools[0], key('0'), button(words.clear, () => set(''), { class: 'key wide' }));
  else {
    if (layout === 'text') tools.unshift(button(words.space, () => set(field.value + ' '), { class: 'key space' }));
    tools.push(button(words.clear, () => set(''), { class: 'key wide' }));
    rows.push(h('div', { class: 'keys-row' }, tools));
  }
  const node = h(
    'div',
    { class: `keyboard keyboard-${layout}` },
    h('label', { for: id, class: 'field-label' }, label),
    field,
    h('div', { class: 'keys', role: 'group', 'aria-label': words.keyboard }, rows),
  );
  return { node, field, value: () => field.value, clear: () => set('') };
}
