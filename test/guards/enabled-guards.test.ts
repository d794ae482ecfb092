import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/test-app.ts';

const wrong = { login: 'nobody@example.test', password: 'not-the-password' };

describe('guards.enabled: the guards a route mounts, switched-off ones left out', () => {
  it('mounts the login limits when they are on: the third attempt from one address is refused', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN_IP: '2/1m' } });
    try {
      expect(t.container.guards.enabled('login:ip', 'login:identifier', 'turnstile')).toHaveLength(2);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await t.call('POST', '/v1/auth/login', { json: wrong })).status);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await t.close();
    }
  });

  it('mounts nothing when limits are off and Turnstile is unset, and the route still answers', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'false' } });
    try {
      expect(t.container.guards.enabled('login:ip', 'login:identifier', 'turnstile')).toEqual([]);
      for (let i = 0; i < 3; i++) expect((await t.call('POST', '/v1/auth/login', { json: wrong })).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('includes Turnstile when a secret is set', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'false', TURNSTILE_SECRET: 'test-secret' } });
    try {
      expect(t.container.guards.enabled('login:ip', 'turnstile')).toHaveLength(1);
      const res = await t.call('POST', '/v1/auth/login', { json: wrong });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('turnstile:token_missing');
    } finally {
      await t.close();
    }
  });
});
