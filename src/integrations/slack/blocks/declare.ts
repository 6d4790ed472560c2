import { CALLBACKS, DECLARE_FIELDS } from './ids.js';

/**
 * The declare form: title, severity and extra responders, read back by the view_submission listener.
 * `channelId`: where `/incident declare` was typed (absent from the global shortcut).
 */
export function declareModal(channelId?: string): Record<string, unknown> {
  const plain = (text: string) => ({ type: 'plain_text', text });
  const sevOption = (n: number) => ({ text: plain(`SEV${n}`), value: `SEV${n}` });
  return {
    type: 'modal',
    callback_id: CALLBACKS.declare,
    private_metadata: JSON.stringify(channelId ? { channelId } : {}),
    title: plain('Declare an incident'),
    submit: plain('Declare'),
    close: plain('Cancel'),
    blocks: [
      { type: 'input', block_id: DECLARE_FIELDS.title.block, label: plain('Title'), element: { type: 'plain_text_input', action_id: DECLARE_FIELDS.title.action, max_length: 140, placeholder: plain('Checkout is failing for EU customers') } },
      {
        type: 'input',
        block_id: DECLARE_FIELDS.severity.block,
        label: plain('Severity'),
        element: { type: 'static_select', action_id: DECLARE_FIELDS.severity.action, initial_option: sevOption(3), options: [1, 2, 3, 4].map(sevOption) },
      },
      { type: 'input', optional: true, block_id: DECLARE_FIELDS.responders.block, label: plain('Responders to invite'), element: { type: 'multi_users_select', action_id: DECLARE_FIELDS.responders.action } },
    ],
  };
}
