import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { serializeOnce } from '../lib/serialize-once.ts';
import { ok } from './envelope.ts';

describe('ok', () => {
  it('writes the same envelope, byte for byte, for data serialised once as for any other data', async () => {
    const data = () => ({ id: 'usr_1', handle: 'ada', note: 'quotes " and \\ and ünïcode', tags: ['a', 'b'], nothing: null });
    const app = new Hono();
    app.get('/plain', (c) => ok(c, data()));
    const once = serializeOnce(data());
    app.get('/once', (c) => ok(c, once, 201));
    const [plain, saved] = await Promise.all([app.request('/plain'), app.request('/once')]);
    expect(saved.status).toBe(201);
    expect(saved.headers.get('content-type')).toBe(plain.headers.get('content-type'));
    const strip = (text: string) => text.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');
    expect(strip(await saved.text())).toBe(strip(await plain.text()));
    // Answered twice from the saved text: each answer has its own timestamp.
    const again = (await (await app.request('/once')).json()) as { meta: { timestamp: string } };
    expect(Date.parse(again.meta.timestamp)).not.toBeNaN();
  });

  it('refuses to change an object whose JSON it keeps', () => {
    const once = serializeOnce({ handle: 'ada' });
    expect(() => Object.assign(once, { handle: 'eve' })).toThrow(TypeError);
  });
});
