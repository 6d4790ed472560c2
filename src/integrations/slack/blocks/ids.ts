/** Every action and callback id in one place (DESIGN principle 12). */
export const ACTIONS = {
  ack: 'incident_ack',
  resolve: 'incident_resolve',
  approve: 'proposal_approve',
  deny: 'proposal_deny',
  revert: 'proposal_revert',
  timelinePage: 'timeline_page',
  /** Acknowledge from the App Home tab (value: the incident id). */
  homeAck: 'home_ack',
} as const;
export type ActionId = (typeof ACTIONS)[keyof typeof ACTIONS];

export const CALLBACKS = {
  declare: 'declare_incident',
} as const;

/** The app's shortcuts (callback ids as in infra/slack/manifest.yaml). */
export const SHORTCUTS = {
  /** Global shortcut: opens the declare form. */
  declare: 'declare_incident_shortcut',
  /** Message shortcut: adds the message to its incident channel's timeline. */
  addToTimeline: 'add_to_timeline',
} as const;

export const DECLARE_FIELDS = {
  title: { block: 'declare_title', action: 'title' },
  severity: { block: 'declare_severity', action: 'severity' },
  responders: { block: 'declare_responders', action: 'responders' },
} as const;
