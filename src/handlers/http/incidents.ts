/** GET /incidents/:id/postmortem.md and /incidents/:id/timeline.json behind WARROOM_API_TOKEN. */
import type { Incident } from '../../domain/incident.js';
import type { TimelineEvent } from '../../domain/timeline.js';
import { safeEqual } from './auth.js';
import type { Route } from './server.js';

export interface IncidentDocsDeps {
  token: string | undefined;
  postmortem(id: string): Promise<{ incident: Incident; markdown: string } | undefined>;
  timeline(id: string): Promise<{ incident: Incident; events: TimelineEvent[] } | undefined>;
}

const ID = /^INC-\d{1,12}$/;

function authorised(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return Boolean(m?.[1] && safeEqual(m[1], token));
}

export function incidentDocRoutes(deps: IncidentDocsDeps): Route[] {
  const guard = (header: string | undefined) =>
    !deps.token
      ? { status: 404, body: { error: 'not_found', message: 'incident documents are disabled (WARROOM_API_TOKEN is not set)' } }
      : !authorised(header, deps.token)
        ? { status: 401, body: { error: 'unauthorized', message: 'missing or wrong bearer token' }, headers: { 'www-authenticate': 'Bearer' } }
        : undefined;
  return [
    {
      method: 'GET',
      path: '/incidents/:id/postmortem.md',
      handler: async (req) => {
        const refused = guard(req.headers.authorization);
        if (refused) return refused;
        const id = req.params.id ?? '';
        if (!ID.test(id)) return { status: 400, body: { error: 'bad_request', message: 'incident ids look like INC-42' } };
        const r = await deps.postmortem(id);
        return r ? { status: 200, body: r.markdown, contentType: 'text/markdown; charset=utf-8' } : { status: 404, body: { error: 'not_found', message: `no incident ${id}` } };
      },
    },
    {
      method: 'GET',
      path: '/incidents/:id/timeline.json',
      handler: async (req) => {
        const refused = guard(req.headers.authorization);
        if (refused) return refused;
        const id = req.params.id ?? '';
        if (!ID.test(id)) return { status: 400, body: { error: 'bad_request', message: 'incident ids look like INC-42' } };
        const r = await deps.timeline(id);
        return r ? { status: 200, body: { incident: r.incident, timeline: r.events } } : { status: 404, body: { error: 'not_found', message: `no incident ${id}` } };
      },
    },
  ];
}
