import type { OpenStackEmulator } from './openstack-emulator.js';

/** A raw Cinder request, answered with its parsed JSON body (or `undefined` when empty). */
export type CinderRequest = (method: string, path: string, body?: unknown) => Promise<unknown>;

/**
 * Logs in as the emulator's default user (`demo`/`secret`) and returns raw Cinder requests for that project:
 * for tests and benchmarks that set up volumes behind a driver's back, over the same HTTP a cloud speaks.
 */
export async function cinderAsDemo(emulator: OpenStackEmulator): Promise<CinderRequest> {
  const login = await fetch(`${emulator.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'demo', password: 'secret', domain: { name: 'Default' } } },
        },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = login.headers.get('x-subject-token');
  if (token === null) throw new Error(`the emulator refused the demo login: HTTP ${login.status}`);
  const base = emulator.authUrl.replace('/identity/v3', `/volume/v3/${emulator.projectId}`);
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json', connection: 'close' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return text === '' ? undefined : JSON.parse(text);
  };
}
