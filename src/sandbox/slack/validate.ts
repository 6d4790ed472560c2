/**
 * Pure validators for the Slack emulator: channel names (protocols 5.1), Block Kit limits
 * (protocols 5.5) and message text limits. They return Slack's error code, never throw.
 */

/** conversations.create name rules (docs.slack.dev/reference/methods/conversations.create). */
export const CHANNEL_NAME_MAX = 80;

export type ChannelNameError =
  | 'invalid_name_required'
  | 'invalid_name_maxlength'
  | 'invalid_name_punctuation'
  | 'invalid_name_specials';

/**
 * Checks a channel name the way conversations.create does: only lowercase letters, digits,
 * hyphens and underscores; at most 80 characters; not only punctuation.
 */
export function channelNameError(name: string): ChannelNameError | undefined {
  if (name.trim() === '') return 'invalid_name_required';
  if ([...name].length > CHANNEL_NAME_MAX) return 'invalid_name_maxlength';
  if (!/^[a-z0-9_-]+$/u.test(name)) return 'invalid_name_specials';
  if (/^[_-]+$/u.test(name)) return 'invalid_name_punctuation';
  return undefined;
}

/**
 * Message text limits. chat.postMessage documents that text longer than 40,000 characters is
 * truncated and answers `msg_too_long` beyond it (docs.slack.dev/reference/methods/chat.postMessage,
 * "Truncating content"); chat.update documents `msg_too_long` for text over 4,000 characters
 * (docs.slack.dev/reference/methods/chat.update, `text` argument; protocols 5.5).
 */
export const POST_TEXT_MAX = 40_000;
export const UPDATE_TEXT_MAX = 4_000;

/** Block Kit limits (protocols 5.5, @slack/types 3.2 d.ts). */
export const BLOCK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
  selectOptions: 100,
  modalTitle: 24,
} as const;

const KNOWN_BLOCKS = new Set([
  'section',
  'header',
  'actions',
  'context',
  'divider',
  'image',
  'input',
  'rich_text',
  'file',
  'video',
  'markdown',
  'table',
  'context_actions',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One problem, phrased like Slack's `errors` entries: `<message> [json-pointer:/blocks/0/text]`. */
function problem(message: string, pointer: string): string {
  return `${message} [json-pointer:${pointer}]`;
}

function textObjectProblems(v: unknown, pointer: string, opts: { max: number; plainOnly?: boolean; min?: number }): string[] {
  if (!isRecord(v)) return [problem('must provide an object', pointer)];
  const type = v['type'];
  if (type !== 'plain_text' && type !== 'mrkdwn') return [problem('must be one of plain_text, mrkdwn', `${pointer}/type`)];
  if (opts.plainOnly && type !== 'plain_text') return [problem('must be plain_text', `${pointer}/type`)];
  const text = v['text'];
  if (typeof text !== 'string') return [problem('must provide a string', `${pointer}/text`)];
  const len = [...text].length;
  if (len < (opts.min ?? 1)) return [problem(`must be at least ${opts.min ?? 1} characters`, `${pointer}/text`)];
  if (len > opts.max) return [problem(`must be less than ${opts.max + 1} characters`, `${pointer}/text`)];
  return [];
}

function idProblems(v: Record<string, unknown>, key: 'action_id' | 'block_id', pointer: string): string[] {
  const id = v[key];
  if (id === undefined) return [];
  if (typeof id !== 'string') return [problem('must provide a string', `${pointer}/${key}`)];
  if (id.length > BLOCK_LIMITS.id) return [problem(`must be less than ${BLOCK_LIMITS.id + 1} characters`, `${pointer}/${key}`)];
  return [];
}

function elementProblems(v: unknown, pointer: string): string[] {
  if (!isRecord(v)) return [problem('must provide an object', pointer)];
  const type = v['type'];
  if (typeof type !== 'string') return [problem('must provide a string', `${pointer}/type`)];
  const out = idProblems(v, 'action_id', pointer);
  switch (type) {
    case 'button': {
      out.push(...textObjectProblems(v['text'], `${pointer}/text`, { max: BLOCK_LIMITS.buttonText, plainOnly: true }));
      const value = v['value'];
      if (value !== undefined && (typeof value !== 'string' || value.length > BLOCK_LIMITS.buttonValue)) {
        out.push(problem(`must be a string of at most ${BLOCK_LIMITS.buttonValue} characters`, `${pointer}/value`));
      }
      const url = v['url'];
      if (url !== undefined && (typeof url !== 'string' || url.length > BLOCK_LIMITS.buttonUrl)) {
        out.push(problem(`must be a string of at most ${BLOCK_LIMITS.buttonUrl} characters`, `${pointer}/url`));
      }
      const style = v['style'];
      if (style !== undefined && style !== 'primary' && style !== 'danger') out.push(problem('must be one of primary, danger', `${pointer}/style`));
      break;
    }
    case 'static_select':
    case 'multi_static_select': {
      const options = v['options'];
      const groups = v['option_groups'];
      if (options !== undefined && (!Array.isArray(options) || options.length > BLOCK_LIMITS.selectOptions)) {
        out.push(problem(`must provide at most ${BLOCK_LIMITS.selectOptions} items`, `${pointer}/options`));
      }
      if (groups !== undefined && (!Array.isArray(groups) || groups.length > BLOCK_LIMITS.selectOptions)) {
        out.push(problem(`must provide at most ${BLOCK_LIMITS.selectOptions} items`, `${pointer}/option_groups`));
      }
      if (options === undefined && groups === undefined) out.push(problem('must provide options or option_groups', pointer));
      break;
    }
    case 'overflow': {
      const options = v['options'];
      if (!Array.isArray(options) || options.length < 1 || options.length > 5) out.push(problem('must provide between 1 and 5 items', `${pointer}/options`));
      break;
    }
    default:
      break;
  }
  return out;
}

function blockProblems(block: unknown, pointer: string): string[] {
  if (!isRecord(block)) return [problem('must provide an object', pointer)];
  const type = block['type'];
  if (typeof type !== 'string') return [problem('must provide a string', `${pointer}/type`)];
  if (!KNOWN_BLOCKS.has(type)) return [problem(`unsupported type: ${type}`, `${pointer}/type`)];
  const out = idProblems(block, 'block_id', pointer);
  switch (type) {
    case 'section': {
      const text = block['text'];
      const fields = block['fields'];
      if (text === undefined && fields === undefined) out.push(problem('must provide text or fields', pointer));
      if (text !== undefined) out.push(...textObjectProblems(text, `${pointer}/text`, { max: BLOCK_LIMITS.sectionText }));
      if (fields !== undefined) {
        if (!Array.isArray(fields)) out.push(problem('must provide an array', `${pointer}/fields`));
        else {
          if (fields.length > BLOCK_LIMITS.sectionFields) out.push(problem(`must be less than ${BLOCK_LIMITS.sectionFields + 1} items`, `${pointer}/fields`));
          fields.forEach((f, i) => out.push(...textObjectProblems(f, `${pointer}/fields/${i}`, { max: BLOCK_LIMITS.sectionFieldText })));
        }
      }
      if (block['accessory'] !== undefined) out.push(...elementProblems(block['accessory'], `${pointer}/accessory`));
      break;
    }
    case 'header':
      out.push(...textObjectProblems(block['text'], `${pointer}/text`, { max: BLOCK_LIMITS.headerText, plainOnly: true }));
      break;
    case 'actions': {
      const elements = block['elements'];
      if (!Array.isArray(elements) || elements.length === 0) out.push(problem('must provide a non-empty array', `${pointer}/elements`));
      else {
        if (elements.length > BLOCK_LIMITS.actionsElements) out.push(problem(`must be less than ${BLOCK_LIMITS.actionsElements + 1} items`, `${pointer}/elements`));
        elements.forEach((e, i) => out.push(...elementProblems(e, `${pointer}/elements/${i}`)));
      }
      break;
    }
    case 'context': {
      const elements = block['elements'];
      if (!Array.isArray(elements) || elements.length === 0) out.push(problem('must provide a non-empty array', `${pointer}/elements`));
      else if (elements.length > BLOCK_LIMITS.contextElements) out.push(problem(`must be less than ${BLOCK_LIMITS.contextElements + 1} items`, `${pointer}/elements`));
      break;
    }
    case 'input':
      if (block['label'] !== undefined) out.push(...textObjectProblems(block['label'], `${pointer}/label`, { max: 2000, plainOnly: true }));
      if (block['element'] === undefined) out.push(problem('must provide an object', `${pointer}/element`));
      else out.push(...elementProblems(block['element'], `${pointer}/element`));
      break;
    default:
      break;
  }
  return out;
}

/**
 * Validates a blocks array. Returns Slack-style problem strings (empty when valid). `max` is 50
 * for messages and 100 for views. Duplicate block_ids are refused as Slack does.
 */
export function blocksProblems(blocks: unknown, max: number = BLOCK_LIMITS.messageBlocks): string[] {
  if (!Array.isArray(blocks)) return [problem('must provide an array', '/blocks')];
  const out: string[] = [];
  if (blocks.length > max) out.push(problem(`must be less than ${max + 1} items`, '/blocks'));
  const seen = new Set<string>();
  blocks.forEach((b, i) => {
    out.push(...blockProblems(b, `/blocks/${i}`));
    if (isRecord(b) && typeof b['block_id'] === 'string') {
      if (seen.has(b['block_id'])) out.push(problem(`duplicate block_id: ${b['block_id']}`, `/blocks/${i}/block_id`));
      seen.add(b['block_id']);
    }
  });
  return out;
}

/** A modal view's problems (views.open / views.update): type, title (24 chars), at most 100 blocks. */
export function viewProblems(view: unknown): string[] {
  if (!isRecord(view)) return [problem('must provide an object', '/view')];
  const out: string[] = [];
  const type = view['type'];
  if (type !== 'modal' && type !== 'home') out.push(problem('must be one of modal, home', '/view/type'));
  if (type === 'modal') {
    out.push(...textObjectProblems(view['title'], '/view/title', { max: BLOCK_LIMITS.modalTitle, plainOnly: true }));
    for (const key of ['submit', 'close'] as const) {
      if (view[key] !== undefined) out.push(...textObjectProblems(view[key], `/view/${key}`, { max: BLOCK_LIMITS.modalTitle, plainOnly: true }));
    }
  }
  out.push(...blocksProblems(view['blocks'], BLOCK_LIMITS.viewBlocks).map((p) => p.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks')));
  const meta = view['private_metadata'];
  if (meta !== undefined && (typeof meta !== 'string' || meta.length > 3000)) out.push(problem('must be a string of at most 3000 characters', '/view/private_metadata'));
  return out;
}
