/**
 * A generic walk over Block Kit payloads that reports every Slack limit a builder breaks, and every piece of mrkdwn,
 * so a test can assert limits and escaping across all blocks instead of spot-checking a few.
 * Lengths are counted by code point, as src/templates/text.ts truncates.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const len = (s: string) => [...s].length;
const textOf = (v: unknown): string | undefined => (isObj(v) && typeof v.text === 'string' ? v.text : undefined);

export const SLACK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionDescription: 75,
  selectOptions: 100,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  plainInputInitial: 3000,
  anyId: 255,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  textObject: 3000,
} as const;

/** Returns one line per broken limit (empty when the payload is within Slack's limits). */
export function limitProblems(root: unknown, kind: 'message' | 'modal'): string[] {
  const problems: string[] = [];
  const check = (path: string, what: string, value: string | undefined, max: number) => {
    if (value !== undefined && len(value) > max) problems.push(`${path}: ${what} is ${len(value)} > ${max}`);
  };
  const checkCount = (path: string, what: string, value: unknown, max: number) => {
    if (Array.isArray(value) && value.length > max) problems.push(`${path}: ${value.length} ${what} > ${max}`);
  };

  const rootObj = isObj(root) ? root : {};
  const blocks = rootObj.blocks;
  if (!Array.isArray(blocks)) problems.push('root: no blocks array');
  checkCount('root', 'blocks', blocks, kind === 'modal' ? SLACK_LIMITS.modalBlocks : SLACK_LIMITS.messageBlocks);
  if (kind === 'modal') {
    check('view.title', 'title', textOf(rootObj.title), SLACK_LIMITS.modalTitle);
    check('view.submit', 'submit', textOf(rootObj.submit), SLACK_LIMITS.modalButton);
    check('view.close', 'close', textOf(rootObj.close), SLACK_LIMITS.modalButton);
    if (typeof rootObj.private_metadata === 'string')
      check('view', 'private_metadata', rootObj.private_metadata, SLACK_LIMITS.privateMetadata);
    if (typeof rootObj.callback_id === 'string') check('view', 'callback_id', rootObj.callback_id, SLACK_LIMITS.anyId);
  }

  const walk = (node: unknown, path: string, parentKey: string) => {
    if (Array.isArray(node)) {
      for (const [i, n] of node.entries()) walk(n, `${path}[${i}]`, parentKey);
      return;
    }
    if (!isObj(node)) return;
    const type = node.type;
    if ((type === 'plain_text' || type === 'mrkdwn') && 'text' in node) {
      const t = node.text;
      if (typeof t !== 'string' || t.length === 0) problems.push(`${path}: empty ${type} text`);
      else check(path, `${type} text`, t, SLACK_LIMITS.textObject);
    }
    for (const id of ['block_id', 'action_id'] as const) {
      if (typeof node[id] === 'string') check(path, id, node[id] as string, SLACK_LIMITS.anyId);
    }
    const isOption = ['options', 'initial_option', 'initial_options'].includes(parentKey) && 'value' in node;
    if (isOption) {
      check(path, 'option text', textOf(node.text), SLACK_LIMITS.optionText);
      check(path, 'option description', textOf(node.description), SLACK_LIMITS.optionDescription);
    }
    switch (type) {
      case 'header':
        check(path, 'header text', textOf(node.text), SLACK_LIMITS.headerText);
        break;
      case 'section':
        check(path, 'section text', textOf(node.text), SLACK_LIMITS.sectionText);
        checkCount(path, 'fields', node.fields, SLACK_LIMITS.sectionFields);
        if (Array.isArray(node.fields)) {
          for (const [i, f] of node.fields.entries()) {
            check(`${path}.fields[${i}]`, 'field text', textOf(f), SLACK_LIMITS.fieldText);
          }
        }
        break;
      case 'context':
        checkCount(path, 'elements', node.elements, SLACK_LIMITS.contextElements);
        break;
      case 'actions':
        checkCount(path, 'elements', node.elements, SLACK_LIMITS.actionsElements);
        break;
      case 'button':
        check(path, 'button label', textOf(node.text), SLACK_LIMITS.buttonText);
        if (typeof node.value === 'string') check(path, 'button value', node.value, SLACK_LIMITS.buttonValue);
        break;
      case 'static_select':
      case 'checkboxes':
      case 'radio_buttons':
        checkCount(path, 'options', node.options, SLACK_LIMITS.selectOptions);
        break;
      case 'plain_text_input': {
        const max = typeof node.max_length === 'number' ? node.max_length : SLACK_LIMITS.plainInputInitial;
        if (typeof node.initial_value === 'string') check(path, 'initial_value', node.initial_value, max);
        if (typeof node.max_length === 'number' && node.max_length > SLACK_LIMITS.plainInputInitial)
          problems.push(`${path}: max_length ${node.max_length} > ${SLACK_LIMITS.plainInputInitial}`);
        break;
      }
      case 'input':
        check(path, 'input label', textOf(node.label), SLACK_LIMITS.inputLabel);
        check(path, 'input hint', textOf(node.hint), SLACK_LIMITS.inputHint);
        break;
      default:
        break;
    }
    if ('placeholder' in node) check(path, 'placeholder', textOf(node.placeholder), SLACK_LIMITS.placeholder);
    for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`, k);
  };
  walk(blocks, 'blocks', 'blocks');
  return problems;
}

/** Every mrkdwn string in the blocks (section text and fields, context elements), with its path. */
export function mrkdwnTexts(root: unknown): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, n] of node.entries()) walk(n, `${path}[${i}]`);
      return;
    }
    if (!isObj(node)) return;
    if (node.type === 'mrkdwn' && typeof node.text === 'string') out.push({ path, text: node.text });
    for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`);
  };
  walk(isObj(root) ? root.blocks : root, 'blocks');
  return out;
}

/** Every plain_text string anywhere in the payload. */
export function plainTexts(root: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (!isObj(node)) return;
    if (node.type === 'plain_text' && typeof node.text === 'string') out.push(node.text);
    for (const v of Object.values(node)) walk(v);
  };
  walk(root);
  return out;
}

/**
 * Problems with escaping in one mrkdwn (or mrkdwn fallback) string: every `&` must start an entity, and every
 * `<…>` must be a token the bot itself made (a mention of a known user, a channel link or a date).
 */
export function escapingProblems(text: string, knownUsers: readonly string[]): string[] {
  const problems: string[] = [];
  const bareAmp = /&(?!amp;|lt;|gt;)/g;
  for (const m of text.matchAll(bareAmp)) {
    problems.push(`bare '&' at ${m.index}: …${text.slice(Math.max(0, m.index - 10), m.index + 10)}…`);
  }
  for (const m of text.matchAll(/<[^>]*>?/g)) {
    const token = m[0];
    const okUser = knownUsers.some((u) => token === `<@${u}>`);
    const okChannel = /^<#C[A-Z0-9]+>$/.test(token);
    const okDate = /^<!date\^\d+\^[^|<>]+\|[^<>]+>$/.test(token);
    if (!okUser && !okChannel && !okDate) problems.push(`unexpected token ${JSON.stringify(token)}`);
  }
  return problems;
}
