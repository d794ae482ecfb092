import { createRoute, z } from '@hono/zod-openapi';
import { currentUser, requireUser } from '../../http/auth.ts';
import { ok } from '../../http/envelope.ts';
import type { Guards } from '../../http/guards.ts';
import { bearerAuth, jsonBody, okResponses } from '../../http/route.ts';
import { createRouter } from '../../http/router.ts';
import { clientInfo, LoginResultSchema, setRefreshCookie, type CookieOptions } from '../sessions/routes.ts';
import type { SessionsService } from '../sessions/service.ts';
import type { TotpService } from './service.ts';

const tags = ['totp'];
const CodeBody = z.object({ code: z.string().trim().min(1).max(32).openapi({ description: 'A 6-digit TOTP code or a backup code', example: '123456' }) });
const BackupCodesSchema = z.object({ backupCodes: z.array(z.string()).openapi({ description: 'Shown once; each works once' }) }).openapi('TotpBackupCodes');

export function totpRoutes(deps: { totp: TotpService; sessions: SessionsService; guards: Guards; cookie: CookieOptions }) {
  const { totp, sessions, guards, cookie } = deps;
  const app = createRouter();

  app.use('/v1/auth/login/totp', ...guards.enabled('login:ip'));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/auth/login/totp',
      tags,
      summary: 'Second sign-in step: the temporary token from login plus a TOTP or backup code',
      request: { body: jsonBody(z.object({ tempToken: z.string().min(1).max(512), code: CodeBody.shape.code })) },
      responses: okResponses(LoginResultSchema, 400, 401, 403),
    }),
    async (c) => {
      const { tempToken, code } = c.req.valid('json');
      const user = await totp.completeSignIn(tempToken, code);
      const result = await sessions.startSession(user, clientInfo(c));
      setRefreshCookie(c, result.tokens, cookie);
      return ok(c, { user: result.user, sessionId: result.sessionId, totpRequired: false as const, ...result.tokens });
    },
  );

  app.use('/v1/me/totp', requireUser);
  app.use('/v1/me/totp/*', requireUser);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me/totp',
      tags,
      summary: 'Whether 2FA is on, and how many backup codes are left',
      security: bearerAuth,
      responses: okResponses(z.object({ enabled: z.boolean(), backupCodesLeft: z.number().int() }), 401),
    }),
    async (c) => ok(c, await totp.status(currentUser(c).userId)),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/totp/setup',
      tags,
      summary: 'Start 2FA setup: a new secret, its otpauth URI and a QR code (PNG data URL and SVG)',
      security: bearerAuth,
      responses: okResponses(
        z.object({ secret: z.string(), otpauthUri: z.string(), qrCode: z.object({ pngDataUrl: z.string(), svg: z.string() }) }).openapi('TotpSetup'),
        401,
        409,
      ),
    }),
    async (c) => ok(c, await totp.setup(currentUser(c).userId)),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/totp/enable',
      tags,
      summary: 'Turn 2FA on with a first code from the app; answers 10 single-use backup codes',
      security: bearerAuth,
      request: { body: jsonBody(CodeBody) },
      responses: okResponses(BackupCodesSchema, 400, 401, 409),
    }),
    async (c) => ok(c, await totp.enable(currentUser(c).userId, c.req.valid('json').code)),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/totp/disable',
      tags,
      summary: 'Turn 2FA off (needs a current TOTP or backup code)',
      security: bearerAuth,
      request: { body: jsonBody(CodeBody) },
      responses: okResponses(z.object({ disabled: z.literal(true) }), 400, 401),
    }),
    async (c) => {
      await totp.disable(currentUser(c).userId, c.req.valid('json').code);
      return ok(c, { disabled: true as const });
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/me/totp/backup-codes',
      tags,
      summary: 'Replace the backup codes (needs a current TOTP or backup code); the old ones stop working',
      security: bearerAuth,
      request: { body: jsonBody(CodeBody) },
      responses: okResponses(BackupCodesSchema, 400, 401),
    }),
    async (c) => ok(c, await totp.regenerateBackupCodes(currentUser(c).userId, c.req.valid('json').code)),
  );
  return app;
}
