import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Hono's SmartRouter uses RegExpRouter (one regular expression for every route) unless some
// route cannot be expressed in it, and then falls back to a tree walk for the whole app: a
// measurable share of every request (bench/api-key.bench.ts). A route added in a shape
// RegExpRouter refuses (a static path beside a parameter one under an all-methods
// middleware, for instance) fails here rather than slowing everything silently.
describe('routing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the whole app runs on RegExpRouter', async () => {
    expect((await t.call('GET', '/health')).status).toBe(200);
    const router = (t.app as unknown as { router: { activeRouter: { name: string } } }).router;
    expect(router.activeRouter.name).toBe('RegExpRouter');
  });

  it('still tells the docs assets apart (init script, bundle, unknown name)', async () => {
    const init = await t.app.request('/docs/assets/init.js');
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/javascript/);
    expect(await init.text()).toContain('/openapi.json');
    expect((await t.app.request('/docs/assets/swagger-ui.css')).status).toBe(200);
    expect((await t.app.request('/docs/assets/nope.js')).status).toBe(404);
  });
});
