/** files.getUploadURLExternal / completeUploadExternal (the two-step upload) and bookmarks.*. */
import { parseArgs, schemas } from '../args.js';
import type { Bookmark, StoredFile } from '../types.js';
import { fail, ok, type MethodResult, type ChannelState, type Workspace } from '../workspace.js';
import { fileRef } from '../shapes.js';

export function filesGetUploadUrl(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['files.getUploadURLExternal'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  if (a.value.length <= 0) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] length must be positive'] } });
  const id = ws.nextId('F');
  const ext = /\.([A-Za-z0-9]+)$/u.exec(a.value.filename)?.[1]?.toLowerCase() ?? 'text';
  const mimetype = ext === 'md' || ext === 'markdown' ? 'text/markdown' : ext === 'json' ? 'application/json' : ext === 'png' ? 'image/png' : 'text/plain';
  ws.files.set(id, {
    id,
    name: a.value.filename,
    title: a.value.filename,
    mimetype,
    filetype: ext,
    size: 0,
    created: Math.floor(now / 1000),
    user: ws.opts.botUserId,
    length: a.value.length,
    uploaded: false,
    completed: false,
    channels: [],
    content: '',
    url_private: `${ws.opts.baseUrl()}/_sandbox/files/${id}`,
  });
  ws.touch();
  return ok({ upload_url: `${ws.opts.baseUrl()}/_upload/${id}`, file_id: id });
}

export function filesComplete(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['files.completeUploadExternal'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const files: StoredFile[] = [];
  for (const entry of a.value.files) {
    const f = ws.files.get(entry.id);
    // An id that was never uploaded is as unknown to Slack as one that was never issued.
    if (!f || !f.uploaded || f.completed) return fail('file_not_found');
    files.push(f);
  }
  const channelRef = a.value.channel_id ?? a.value.channels;
  let ch: ChannelState | undefined;
  if (channelRef) {
    ch = ws.visibleChannel(channelRef);
    if (!ch) return fail('channel_not_found');
    if (ch.info.is_archived) return fail('is_archived');
    if (!ws.isMember(ch)) return fail('not_in_channel');
  }
  const b = ws.blocksArg(args);
  if ('ok' in b) return b;
  a.value.files.forEach((entry, i) => {
    const f = files[i];
    if (!f) return;
    if (entry.title) f.title = entry.title;
    f.completed = true;
    if (ch) f.channels.push(ch.info.id);
  });
  if (ch) {
    const m = ws.botMessage(a.value.initial_comment ?? '', b.blocks, now);
    m.files = files.map((f) => fileRef(ws, f));
    m.upload = true;
    ws.appendMessage(ch, m, a.value.thread_ts);
  }
  ws.touch();
  return ok({ files: files.map((f) => ({ id: f.id, title: f.title })) });
}

export function bookmarksAdd(ws: Workspace, args: Record<string, unknown>, now: number): MethodResult {
  const a = parseArgs(schemas['bookmarks.add'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel_id);
  if (!ch) return fail('channel_not_found');
  if (ch.info.is_archived) return fail('is_archived');
  if (a.value.type !== 'link') return fail('invalid_bookmark_type');
  const link = a.value.link ?? '';
  if (!/^https?:\/\/\S+$/u.test(link)) return fail('invalid_link');
  if (ws.bookmarks.filter((x) => x.channel_id === ch.info.id).length >= 100) return fail('too_many_bookmarks');
  const bm: Bookmark = {
    id: ws.nextId('Bk'),
    channel_id: ch.info.id,
    title: a.value.title,
    link,
    ...(a.value.emoji ? { emoji: a.value.emoji } : {}),
    type: 'link',
    date_created: Math.floor(now / 1000),
    created_by: ws.opts.botUserId,
  };
  ws.bookmarks.push(bm);
  ws.touch();
  return ok({ bookmark: { ...bm } });
}

export function bookmarksList(ws: Workspace, args: Record<string, unknown>): MethodResult {
  const a = parseArgs(schemas['bookmarks.list'], args);
  if (!a.ok) return fail(a.error, { response_metadata: { messages: a.messages } });
  const ch = ws.visibleChannel(a.value.channel_id);
  if (!ch) return fail('channel_not_found');
  return ok({ bookmarks: ws.bookmarks.filter((x) => x.channel_id === ch.info.id).map((x) => ({ ...x })) });
}
