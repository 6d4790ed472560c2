/** GET /incidents/:id/postmortem.md and /incidents/:id/timeline.json behind WARROOM_API_TOKEN. */
import type { Incident } from '../../domain/incident.js';
import type { Ports } from '../../workflows/context.js';
import { buildPostmortem } from '../../workflows/lifecycle.js';
import { checkBearer } from './auth.js';
import type { HttpRequest, HttpResponse, Route } from './server.js';

const ID = /^INC-\d{1,12}$/;

export function incidentDocRoutes(ports: Ports, token: string | undefined): Route[] {
  /** Token, id and the incident checked once for every document: 404/401/400/404, else the document. */
  const document = (render: (incident: Incident) => Promise<HttpResponse>) => async (req: HttpRequest): Promise<HttpResponse> => {
    if (!token) return { status: 404, body: { error: 'not_found', message: 'incident documents are disabled (WARROOM_API_TOKEN is not set)' } };
    if (!checkBearer(req.headers.authorization, token)) return { status: 401, body: { error: 'unauthorized', message: 'missing or wrong bearer token' }, headers: { 'www-authenticate': 'Bearer' } };
    const id = req.params.id ?? '';
    if (!ID.test(id)) return { status: 400, body: { error: 'bad_request', message: 'incident ids look like INC-42' } };
    const incident = await ports.incidents.get(id);
    return incident ? render(incident) : { status: 404, body: { error: 'not_found', message: `no incident ${id}` } };
  };
  return [
    {
      method: 'GET',
      path: '/incidents/:id/postmortem.md',
      handler: document(async (incident) => ({ status: 200, body: (await buildPostmortem(ports, incident.id)).markdown, contentType: 'text/markdown; charset=utf-8' })),
    },
    {
      method: 'GET',
      path: '/incidents/:id/timeline.json',
      handler: document(async (incident) => ({ status: 200, body: { incident, timeline: await ports.timeline.list(incident.id) } })),
    },
  ];
}
