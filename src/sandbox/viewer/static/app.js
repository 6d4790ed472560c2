// warroom sandbox viewer: polls /api/state every second and renders the emulated workspace.
// Everything is built with createElement + textContent: no innerHTML, so nothing in a message
// (alert labels, titles, user text) can become markup.
'use strict';

(function () {
  const EMOJI = {
    red_circle: '🔴', large_orange_circle: '🟠', large_yellow_circle: '🟡', large_green_circle: '🟢', large_blue_circle: '🔵',
    rotating_light: '🚨', white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', repeat: '🔁', memo: '📝',
    alarm_clock: '⏰', pushpin: '📌', hourglass: '⌛', hourglass_flowing_sand: '⏳', mag: '🔍', chart_with_upwards_trend: '📈',
    chart_with_downwards_trend: '📉', bar_chart: '📊', wrench: '🔧', hammer_and_wrench: '🛠️', rocket: '🚀', fire: '🔥',
    no_entry: '⛔', no_entry_sign: '🚫', arrow_right: '➡️', information_source: 'ℹ️', leftwards_arrow_with_hook: '↩️',
    thumbsup: '👍', '+1': '👍', eyes: '👀', bell: '🔔', clipboard: '📋', page_facing_up: '📄', link: '🔗', lock: '🔒',
    stopwatch: '⏱️', scroll: '📜', busts_in_silhouette: '👥', bust_in_silhouette: '👤', speech_balloon: '💬', tada: '🎉',
    robot_face: '🤖', gear: '⚙️', ballot_box_with_check: '☑️', heavy_plus_sign: '➕', heavy_minus_sign: '➖', arrows_counterclockwise: '🔄',
    checkered_flag: '🏁', construction: '🚧', sos: '🆘', bulb: '💡', pencil: '📝', calendar: '📅', clock1: '🕐', mega: '📣',
    loudspeaker: '📢', rewind: '⏪', fast_forward: '⏩', arrow_up: '⬆️', arrow_down: '⬇️', stop_sign: '🛑', sparkles: '✨',
    grey_question: '❔', question: '❓', balance_scale: '⚖️', house: '🏠', zap: '⚡', large_purple_circle: '🟣', white_circle: '⚪', black_circle: '⚫',
  };

  /** The App Home tab's pseudo channel id in the sidebar. */
  const HOME = '@home';

  const ui = {
    /** Message menu open on `channelId/ts`, if any. */
    menuFor: undefined,
    /** Modal views already shown or there before the page loaded: never popped up (again). */
    seenViews: new Set(),
    /** The modal on screen: { id, errors }. */
    modal: undefined,
    state: undefined,
    lastText: '',
    selected: undefined,
    actAs: undefined,
    expanded: new Set(),
    busy: false,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function decodeEntities(s) {
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  function withEmoji(s) {
    return s.replace(/:([a-z0-9_+-]+):/g, (m, name) => (Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : m));
  }

  function safeHref(url) {
    try {
      const u = new URL(url);
      return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:' ? u.href : undefined;
    } catch {
      return undefined;
    }
  }

  function userName(id) {
    const u = ui.state && ui.state.users.find((x) => x.id === id);
    if (u) return u.name;
    if (ui.state && id === ui.state.bot.userId) return 'warroom';
    return id;
  }

  function channelName(id) {
    const c = ui.state && ui.state.channels.find((x) => x.id === id);
    return c ? c.name : id;
  }

  function text(parent, s, emoji) {
    parent.appendChild(document.createTextNode(emoji ? withEmoji(decodeEntities(s)) : decodeEntities(s)));
  }

  // Slack's angle-bracket forms: <@U1>, <#C1|name>, <!here>, <!subteam^S1>, <!date^..|fallback>, <url|label>, <url>.
  function angle(parent, inner) {
    const bar = inner.indexOf('|');
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : undefined;
    if (target.startsWith('@')) {
      parent.appendChild(el('span', 'mention', '@' + (label || userName(target.slice(1)))));
    } else if (target.startsWith('#')) {
      const id = target.slice(1);
      const a = el('a', 'mention', '#' + (label || channelName(id)));
      a.href = '#';
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        select(id);
      });
      parent.appendChild(a);
    } else if (target.startsWith('!')) {
      const cmd = target.slice(1);
      if (cmd.startsWith('subteam^')) {
        const id = cmd.slice('subteam^'.length);
        const g = ui.state && ui.state.usergroups.find((x) => x.id === id);
        parent.appendChild(el('span', 'mention', '@' + (label || (g ? g.handle : id))));
      } else if (cmd.startsWith('date^')) {
        text(parent, label || cmd, false);
      } else {
        parent.appendChild(el('span', 'mention', '@' + (label || cmd)));
      }
    } else {
      const href = safeHref(decodeEntities(target));
      if (href) {
        const a = el('a');
        a.href = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        if (label) mrkdwn(a, label);
        else a.textContent = decodeEntities(target);
        parent.appendChild(a);
      } else {
        text(parent, label || target, true);
      }
    }
  }

  // Basic mrkdwn: ```pre```, `code`, <links and mentions>, *bold*, _italic_, ~strike~, :emoji:, entities.
  const TOKENS = /```([\s\S]+?)```|`([^`\n]+)`|<([^<>\n]+)>|\*([^*\n]+)\*|(?:^|(?<=[\s(]))_([^_\n]+)_(?=$|[\s.,;:!?)])|~([^~\n]+)~/g;
  function mrkdwn(parent, s) {
    let last = 0;
    const re = new RegExp(TOKENS.source, 'g');
    let m;
    while ((m = re.exec(s)) !== null) {
      if (m.index > last) text(parent, s.slice(last, m.index), true);
      if (m[1] !== undefined) parent.appendChild(el('pre', '', decodeEntities(m[1])));
      else if (m[2] !== undefined) parent.appendChild(el('code', '', decodeEntities(m[2])));
      else if (m[3] !== undefined) angle(parent, m[3]);
      else if (m[4] !== undefined) mrkdwn(parent.appendChild(el('strong')), m[4]);
      else if (m[5] !== undefined) mrkdwn(parent.appendChild(el('em')), m[5]);
      else if (m[6] !== undefined) mrkdwn(parent.appendChild(el('s')), m[6]);
      last = re.lastIndex;
    }
    if (last < s.length) text(parent, s.slice(last), true);
    return parent;
  }

  function textObject(parent, t) {
    if (!t || typeof t.text !== 'string') return parent;
    if (t.type === 'mrkdwn') return mrkdwn(parent, t.text);
    // Slack decodes &amp; &lt; &gt; in plain_text as well (senders escape every text object).
    const plain = decodeEntities(t.text);
    parent.appendChild(document.createTextNode(t.emoji === false ? plain : withEmoji(plain)));
    return parent;
  }

  function buttonEl(element, ctx, blockId) {
    const b = el('button');
    b.type = 'button';
    textObject(b, element.text);
    if (element.style === 'primary' || element.style === 'danger') b.classList.add(element.style);
    b.dataset.actionId = element.action_id || '';
    if (element.url) {
      const href = safeHref(element.url);
      b.addEventListener('click', () => {
        if (href) window.open(href, '_blank', 'noopener,noreferrer');
      });
      if (!element.action_id) return b;
    }
    b.addEventListener('click', () => {
      if (ctx.home) {
        homeClick(b, { actionId: element.action_id, value: typeof element.value === 'string' ? element.value : undefined });
        return;
      }
      if (element.confirm) {
        const c = element.confirm;
        const question = [c.title && c.title.text, c.text && c.text.text].filter(Boolean).join('\n\n');
        if (!window.confirm(question || 'Are you sure?')) return;
      }
      click(b, {
        actionId: element.action_id,
        value: typeof element.value === 'string' ? element.value : undefined,
        blockId,
        channelId: ctx.channelId,
        messageTs: ctx.ts,
        ephemeral: ctx.ephemeral || undefined,
      });
    });
    return b;
  }

  function element(parent, e, ctx, blockId) {
    if (!e || typeof e !== 'object') return;
    if (e.type === 'button') parent.appendChild(buttonEl(e, ctx, blockId));
    else if (e.type === 'image') parent.appendChild(el('span', 'blk-unknown', '[image: ' + (e.alt_text || '') + ']'));
    else if (e.type === 'mrkdwn' || e.type === 'plain_text') textObject(parent.appendChild(el('span')), e);
    else parent.appendChild(el('span', 'blk-unknown', '[' + String(e.type) + ']'));
  }

  function block(parent, b, ctx) {
    if (!b || typeof b !== 'object') return;
    const blockId = typeof b.block_id === 'string' ? b.block_id : undefined;
    switch (b.type) {
      case 'header':
        textObject(parent.appendChild(el('div', 'blk-header')), b.text);
        break;
      case 'section': {
        const s = parent.appendChild(el('div', 'blk-section'));
        if (b.text) textObject(s.appendChild(el('div')), b.text);
        if (Array.isArray(b.fields)) {
          const f = s.appendChild(el('div', 'blk-fields'));
          for (const field of b.fields) textObject(f.appendChild(el('div', 'blk-field')), field);
        }
        if (b.accessory) element(s, b.accessory, ctx, blockId);
        break;
      }
      case 'context': {
        const c = parent.appendChild(el('div', 'blk-context'));
        for (const e of b.elements || []) {
          element(c, e, ctx, blockId);
          c.appendChild(document.createTextNode(' '));
        }
        break;
      }
      case 'divider':
        parent.appendChild(el('hr', 'blk-divider'));
        break;
      case 'actions': {
        const a = parent.appendChild(el('div', 'blk-actions'));
        for (const e of b.elements || []) element(a, e, ctx, blockId);
        break;
      }
      case 'image': {
        const href = safeHref(b.image_url || '');
        const label = '[image: ' + (b.alt_text || '') + ']';
        if (href) {
          const a = el('a', '', label);
          a.href = href;
          a.target = '_blank';
          a.rel = 'noopener noreferrer';
          parent.appendChild(a);
        } else parent.appendChild(el('span', 'blk-unknown', label));
        break;
      }
      default:
        parent.appendChild(el('div', 'blk-unknown', '[' + String(b.type) + ' block]'));
    }
  }

  function fmtTs(ts) {
    const d = new Date(Math.round(Number(ts) * 1000));
    return d.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  }

  function messageEl(m, channel, opts) {
    const pinned = channel.pins.some((p) => p.ts === m.ts);
    const root = el('article', 'message' + (opts.ephemeral ? ' ephemeral' : ''));
    root.dataset.ts = m.ts;
    if (pinned) root.classList.add('pinned');
    const meta = root.appendChild(el('div', 'meta'));
    meta.appendChild(el('span', 'author', m.bot_id || m.user === (ui.state && ui.state.bot.userId) ? 'warroom' : userName(m.user || '')));
    meta.appendChild(el('span', 'time', fmtTs(m.ts)));
    if (pinned) meta.appendChild(el('span', 'badge pin-badge', '📌 pinned'));
    if (opts.ephemeral) meta.appendChild(el('span', 'badge', '👁 only visible to you'));
    const body = root.appendChild(el('div', 'body'));
    const ctx = { channelId: channel.id, ts: m.ts, ephemeral: !!opts.ephemeral };
    if (Array.isArray(m.blocks) && m.blocks.length > 0) for (const b of m.blocks) block(body, b, ctx);
    else mrkdwn(body.appendChild(el('div', 'blk-section')), m.text || '');
    if (m.edited) body.appendChild(el('span', 'edited', '(edited)'));
    if (Array.isArray(m.files) && m.files.length > 0) {
      const f = root.appendChild(el('div', 'files'));
      for (const file of m.files) {
        const href = safeHref(file.url_private || '');
        const a = el('a', '', '📄 ' + (file.title || file.name));
        if (href) a.href = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        f.appendChild(a);
      }
    }
    if (Array.isArray(m.reactions) && m.reactions.length > 0) {
      const r = root.appendChild(el('div', 'reactions'));
      for (const x of m.reactions) r.appendChild(el('span', '', withEmoji(':' + x.name + ':') + ' ' + x.count));
    }
    const messageShortcuts = ((ui.state && ui.state.shortcuts) || []).filter((s) => s.type === 'message');
    if (!opts.ephemeral && !opts.noMenu && messageShortcuts.length > 0) {
      const key = channel.id + '/' + m.ts;
      const toggle = root.appendChild(el('button', 'msg-menu-toggle', '⋯'));
      toggle.type = 'button';
      toggle.title = 'More actions';
      toggle.setAttribute('aria-label', 'More actions');
      toggle.setAttribute('aria-expanded', ui.menuFor === key ? 'true' : 'false');
      toggle.addEventListener('click', () => {
        ui.menuFor = ui.menuFor === key ? undefined : key;
        render();
      });
      if (ui.menuFor === key) {
        const menu = root.appendChild(el('div', 'msg-menu'));
        menu.setAttribute('role', 'menu');
        for (const s of messageShortcuts) {
          const item = menu.appendChild(el('button', 'shortcut-item', s.name));
          item.type = 'button';
          item.title = s.description;
          item.dataset.callbackId = s.callbackId;
          item.setAttribute('role', 'menuitem');
          item.addEventListener('click', () => {
            ui.menuFor = undefined;
            shortcut(item, { callbackId: s.callbackId, channelId: channel.id, messageTs: m.ts });
          });
        }
      }
    }
    const replies = opts.replies || [];
    if (replies.length > 0) {
      const open = ui.expanded.has(channel.id + '/' + m.ts);
      const t = root.appendChild(el('button', 'thread-toggle', (open ? '▾ ' : '▸ ') + replies.length + (replies.length === 1 ? ' reply' : ' replies')));
      t.type = 'button';
      t.addEventListener('click', () => {
        const key = channel.id + '/' + m.ts;
        if (ui.expanded.has(key)) ui.expanded.delete(key);
        else ui.expanded.add(key);
        render();
      });
      if (open) {
        const th = root.appendChild(el('div', 'thread'));
        for (const r of replies) th.appendChild(messageEl(r, channel, {}));
      }
    }
    return root;
  }

  function isIncident(c) {
    return /^inc-/.test(c.name);
  }

  function renderSidebar(st) {
    $('workspace').textContent = st.team.domain;
    const picker = $('user-picker');
    const users = st.users.filter((u) => !u.isBot && u.id !== st.bot.userId);
    const want = users.map((u) => u.id).join(',');
    if (picker.dataset.users !== want) {
      picker.replaceChildren();
      for (const u of users) {
        const o = el('option', '', '@' + u.name + (u.realName ? ' (' + u.realName + ')' : '') + ' · ' + u.id);
        o.value = u.id;
        picker.appendChild(o);
      }
      picker.dataset.users = want;
    }
    picker.value = ui.actAs;
    const shortcutsBox = $('global-shortcuts');
    const globals = (st.shortcuts || []).filter((s) => s.type === 'global');
    const wantShortcuts = globals.map((s) => s.callbackId).join(',');
    if (shortcutsBox.dataset.shortcuts !== wantShortcuts) {
      shortcutsBox.replaceChildren();
      for (const s of globals) {
        const b = shortcutsBox.appendChild(el('button', 'global-shortcut', '⚡ ' + s.name));
        b.type = 'button';
        b.title = s.description;
        b.dataset.callbackId = s.callbackId;
        b.addEventListener('click', () => shortcut(b, { callbackId: s.callbackId }));
      }
      shortcutsBox.dataset.shortcuts = wantShortcuts;
    }
    const nav = $('channel-list');
    nav.replaceChildren();
    const home = el('a', 'home', '🏠 Home');
    home.dataset.home = '1';
    home.href = '#' + HOME;
    if (ui.selected === HOME) home.classList.add('selected');
    home.addEventListener('click', (ev) => {
      ev.preventDefault();
      select(HOME);
    });
    nav.appendChild(home);
    const visible = st.channels.filter((c) => !c.is_im && !c.is_archived);
    const groups = [
      ['Incidents', visible.filter(isIncident)],
      ['Channels', visible.filter((c) => !isIncident(c))],
    ];
    for (const [title, list] of groups) {
      if (list.length === 0) continue;
      nav.appendChild(el('div', 'section-title', title));
      for (const c of list) {
        const a = el('a', isIncident(c) ? 'incident' : '', (isIncident(c) ? '🚨 ' : c.is_private ? '🔒 ' : '# ') + c.name);
        a.dataset.channelId = c.id;
        a.dataset.channelName = c.name;
        a.href = '#' + c.id;
        if (c.id === ui.selected) a.classList.add('selected');
        a.addEventListener('click', (ev) => {
          ev.preventDefault();
          select(c.id);
        });
        nav.appendChild(a);
      }
    }
  }

  // The App Home tab: the view the app published for the acting user (views.publish).
  function renderHome(st) {
    $('channel-title').textContent = '🏠 Home · warroom';
    $('channel-topic').textContent = 'The app’s Home tab, as published for @' + userName(ui.actAs);
    $('bookmarks').replaceChildren();
    $('pinned').hidden = true;
    $('pinned').replaceChildren();
    const list = $('messages');
    list.replaceChildren();
    const view = (st.homes || []).find((h) => h.user === ui.actAs);
    const box = list.appendChild(el('div', 'home-view'));
    box.dataset.viewId = view ? view.id : '';
    if (!view) {
      box.appendChild(el('div', 'blk-context', 'Nothing published yet: the app publishes this tab when it is opened.'));
      return;
    }
    const ctx = { home: true, channelId: '', ts: '' };
    for (const b of view.blocks) block(box, b, ctx);
  }

  function renderChannel(st) {
    if (ui.selected === HOME) {
      renderHome(st);
      return;
    }
    const channel = st.channels.find((c) => c.id === ui.selected);
    const pinnedBox = $('pinned');
    const list = $('messages');
    if (!channel) {
      $('channel-title').textContent = 'Pick a channel';
      $('channel-topic').textContent = '';
      $('bookmarks').replaceChildren();
      pinnedBox.hidden = true;
      pinnedBox.replaceChildren();
      list.replaceChildren();
      return;
    }
    $('channel-title').textContent = (channel.is_private ? '🔒 ' : '# ') + channel.name;
    $('channel-topic').replaceChildren();
    if (channel.topic && channel.topic.value) mrkdwn($('channel-topic'), channel.topic.value);
    const bm = $('bookmarks');
    bm.replaceChildren();
    for (const b of channel.bookmarks || []) {
      const href = safeHref(b.link);
      const a = el('a', '', (b.emoji ? withEmoji(b.emoji) + ' ' : '🔖 ') + b.title);
      if (href) a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      bm.appendChild(a);
    }

    // The pinned items, newest pin first, shown above the history (the incident card lives here).
    pinnedBox.replaceChildren();
    const pins = [...channel.pins].sort((a, b) => b.created - a.created);
    const pinnedMessages = pins.map((p) => channel.messages.find((m) => m.ts === p.ts)).filter(Boolean);
    pinnedBox.hidden = pinnedMessages.length === 0;
    for (const m of pinnedMessages) {
      pinnedBox.appendChild(el('div', 'pinned-label', '📌 Pinned'));
      const card = messageEl(m, channel, { replies: [], noMenu: true });
      card.classList.add('pinned-card');
      pinnedBox.appendChild(card);
    }

    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const scrollTop = list.scrollTop;
    list.replaceChildren();
    const items = channel.messages.map((m) => ({ ts: m.ts, node: () => messageEl(m, channel, { replies: m.replies }) }));
    for (const e of st.ephemerals) {
      if (e.channel === channel.id && e.user === ui.actAs) items.push({ ts: e.ts, node: () => messageEl({ ...e, user: st.bot.userId, bot_id: st.bot.botId }, channel, { ephemeral: true }) });
    }
    items.sort((a, b) => Number(a.ts) - Number(b.ts));
    for (const it of items) list.appendChild(it.node());
    list.scrollTop = atBottom ? list.scrollHeight : scrollTop;
  }

  function render() {
    const st = ui.state;
    if (!st) return;
    renderSidebar(st);
    renderChannel(st);
    renderModal(st);
  }

  function select(id) {
    ui.selected = id;
    ui.menuFor = undefined;
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
    render();
    if (id === HOME) openHome();
  }

  // Opening the Home tab is what makes Slack send app_home_opened.
  async function openHome() {
    const status = $('command-status');
    try {
      const r = await post('/api/home', { userId: ui.actAs });
      if (!r.json.ok) {
        status.className = 'error';
        status.textContent = 'app_home_opened failed: ' + (r.json.detail || r.json.error || r.json.status);
      }
    } catch (e) {
      status.className = 'error';
      status.textContent = 'app_home_opened failed: ' + String(e);
    }
    poll();
  }

  function homeClick(button, payload) {
    return act(button, '/api/home-click', payload, 'clicked ' + payload.actionId + ' on Home', 'click failed');
  }

  function shortcut(button, payload) {
    ui.menuFor = undefined;
    return act(button, '/api/shortcut', payload, 'shortcut ' + payload.callbackId, 'shortcut failed');
  }

  // ---- Modals (views.open): the newest one opened for the acting user since the page loaded.
  function plainText(t) {
    return t && typeof t.text === 'string' ? decodeEntities(t.text) : '';
  }

  function modalInput(parent, b, st) {
    const wrap = parent.appendChild(el('div', 'modal-input'));
    wrap.dataset.blockId = b.block_id || '';
    const e = b.element || {};
    const id = 'modal-' + (b.block_id || '') + '-' + (e.action_id || '');
    const label = wrap.appendChild(el('label', '', plainText(b.label) + (b.optional ? ' (optional)' : '')));
    label.htmlFor = id;
    let input;
    if (e.type === 'plain_text_input') {
      input = el(e.multiline ? 'textarea' : 'input');
      if (e.max_length) input.maxLength = e.max_length;
      if (e.placeholder) input.placeholder = plainText(e.placeholder);
      if (typeof e.initial_value === 'string') input.value = e.initial_value;
    } else if (e.type === 'static_select') {
      input = el('select');
      for (const o of e.options || []) {
        const opt = input.appendChild(el('option', '', plainText(o.text)));
        opt.value = o.value;
      }
      if (e.initial_option) input.value = e.initial_option.value;
    } else if (e.type === 'multi_users_select') {
      input = el('select');
      input.multiple = true;
      for (const u of st.users.filter((x) => !x.isBot && x.id !== st.bot.userId)) {
        const opt = input.appendChild(el('option', '', '@' + u.name));
        opt.value = u.id;
      }
    } else {
      wrap.appendChild(el('span', 'blk-unknown', '[' + String(e.type) + ']'));
      return;
    }
    input.id = id;
    input.dataset.actionId = e.action_id || '';
    input.dataset.type = e.type;
    wrap.appendChild(input);
    wrap.appendChild(el('div', 'field-error'));
  }

  function renderModal(st) {
    const views = (st.views || []).filter((v) => v.type === 'modal' && v.user === ui.actAs && !ui.seenViews.has(v.id));
    const next = views.sort((a, b) => b.opened_at - a.opened_at)[0];
    const backdrop = $('modal-backdrop');
    if (!next) {
      ui.modal = undefined;
      backdrop.hidden = true;
      return;
    }
    if (ui.modal && ui.modal.id === next.id) return; // keep what the person typed
    ui.modal = { id: next.id };
    $('modal').dataset.viewId = next.id;
    $('modal').dataset.callbackId = next.callback_id || '';
    $('modal-title').textContent = plainText(next.title);
    $('modal-submit').textContent = plainText(next.submit) || 'Submit';
    $('modal-close').textContent = plainText(next.close) || 'Cancel';
    $('modal-error').textContent = '';
    const blocks = $('modal-blocks');
    blocks.replaceChildren();
    for (const b of next.blocks) {
      if (b && b.type === 'input') modalInput(blocks, b, st);
      else block(blocks, b, { channelId: '', ts: '' });
    }
    backdrop.hidden = false;
    const first = blocks.querySelector('input, select, textarea');
    if (first) first.focus();
  }

  function closeModal() {
    if (ui.modal) ui.seenViews.add(ui.modal.id);
    ui.modal = undefined;
    $('modal-backdrop').hidden = true;
  }

  function modalValues() {
    const values = {};
    for (const input of $('modal-blocks').querySelectorAll('[data-action-id]')) {
      const blockId = input.closest('.modal-input').dataset.blockId;
      const actionId = input.dataset.actionId;
      const type = input.dataset.type;
      let state;
      if (type === 'plain_text_input') state = { type, value: input.value === '' ? null : input.value };
      else if (type === 'static_select') {
        const o = input.selectedOptions[0];
        state = { type, selected_option: o ? { text: { type: 'plain_text', text: o.textContent }, value: o.value } : null };
      } else if (type === 'multi_users_select') state = { type, selected_users: Array.from(input.selectedOptions).map((o) => o.value) };
      else continue;
      values[blockId] = values[blockId] || {};
      values[blockId][actionId] = state;
    }
    return values;
  }

  async function submitModal(ev) {
    ev.preventDefault();
    if (!ui.modal) return;
    const id = ui.modal.id;
    const submit = $('modal-submit');
    submit.disabled = true;
    for (const e of $('modal-blocks').querySelectorAll('.field-error')) e.textContent = '';
    $('modal-error').textContent = '';
    try {
      const r = await post('/api/submit', { viewId: id, values: modalValues(), userId: ui.actAs });
      const ack = r.json.ack;
      if (!r.json.ok) $('modal-error').textContent = 'submission failed: ' + (r.json.detail || r.json.error || r.json.status);
      else if (ack && ack.response_action === 'errors' && ack.errors) {
        for (const [blockId, message] of Object.entries(ack.errors)) {
          const wrap = Array.from($('modal-blocks').querySelectorAll('.modal-input')).find((w) => w.dataset.blockId === blockId);
          if (wrap) wrap.querySelector('.field-error').textContent = String(message);
          else $('modal-error').textContent = String(message);
        }
      } else {
        closeModal();
        $('command-status').className = '';
        $('command-status').textContent = 'submitted ' + ($('modal').dataset.callbackId || 'the form') + ' as @' + userName(ui.actAs);
      }
    } catch (e) {
      $('modal-error').textContent = 'submission failed: ' + String(e);
    } finally {
      submit.disabled = false;
      poll();
    }
  }

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    let json;
    try {
      json = await res.json();
    } catch {
      json = { ok: false, error: 'HTTP ' + res.status };
    }
    return { httpStatus: res.status, json };
  }

  // A person's action in the page, as the acting user: the button waits, the status line says what came of it.
  async function act(button, path, payload, done, failed) {
    button.disabled = true;
    const status = $('command-status');
    try {
      const r = await post(path, { ...payload, userId: ui.actAs });
      status.className = r.json.ok ? '' : 'error';
      status.textContent = r.json.ok ? done + ' as @' + userName(ui.actAs) : failed + ': ' + (r.json.detail || r.json.error || r.json.status);
    } catch (e) {
      status.className = 'error';
      status.textContent = failed + ': ' + String(e);
    } finally {
      button.disabled = false;
      poll();
    }
  }

  function click(button, payload) {
    return act(button, '/api/click', payload, 'clicked ' + payload.actionId, 'click failed');
  }

  async function sendCommand(ev) {
    ev.preventDefault();
    const input = $('command-input');
    const line = input.value.trim();
    const status = $('command-status');
    if (!line) return;
    if (!ui.selected) {
      status.className = 'error';
      status.textContent = 'pick a channel first';
      return;
    }
    status.className = '';
    status.textContent = 'sending…';
    try {
      const r = await post('/api/command', { line, channelId: ui.selected, userId: ui.actAs });
      status.className = r.json.ok ? '' : 'error';
      status.textContent = r.json.ok ? 'sent ' + line.split(/\s/)[0] + ' as @' + userName(ui.actAs) : 'command failed: ' + (r.json.detail || r.json.error || r.json.status);
      if (r.json.ok) input.value = '';
    } catch (e) {
      status.className = 'error';
      status.textContent = 'command failed: ' + String(e);
    }
    poll();
  }

  async function poll() {
    if (ui.busy) return;
    ui.busy = true;
    try {
      const res = await fetch('/api/state', { cache: 'no-store' });
      const body = await res.text();
      if (res.ok && body !== ui.lastText) {
        ui.lastText = body;
        ui.state = JSON.parse(body);
        if (!ui.actAs) {
          ui.actAs = ui.state.actAs;
          // Modals opened before this page was: not popped up now.
          for (const v of ui.state.views || []) ui.seenViews.add(v.id);
        }
        if (!ui.selected) {
          const fromHash = location.hash.slice(1);
          if (fromHash === HOME) {
            select(HOME);
            return;
          }
          const first = ui.state.channels.find((c) => c.id === fromHash) || ui.state.channels.find(isIncident) || ui.state.channels[0];
          if (first) ui.selected = first.id;
        }
        render();
      }
    } catch {
      // The emulator may be restarting; the next poll tries again.
    } finally {
      ui.busy = false;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('user-picker').addEventListener('change', (ev) => {
      ui.actAs = ev.target.value;
      render();
      if (ui.selected === HOME) openHome();
    });
    $('modal').addEventListener('submit', submitModal);
    $('modal-close').addEventListener('click', closeModal);
    $('command-form').addEventListener('submit', sendCommand);
    poll();
    setInterval(poll, 1000);
  });
})();
