import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors/index.ts';
import { sha256 } from '../../lib/crypto.ts';
import { base32Encode, matchTotp, otpauthUri } from '../../lib/totp.ts';
import type { UserRow, UsersRepo } from '../accounts/repo.ts';
import type { SignInLockout } from './lockout.ts';
import type { TotpRepo } from './repo.ts';
import type { SecretBox } from './secret-box.ts';
import type { Tickets } from './tickets.ts';

/** Renders the otpauth URI as a QR code; injectable so a failing renderer can be tested. */
export interface QrRenderer {
  pngDataUrl(text: string): Promise<string>;
  svg(text: string): Promise<string>;
}

export interface TotpDeps {
  users: UsersRepo;
  repo: TotpRepo;
  box: SecretBox;
  lockout: SignInLockout;
  /** TOTP temporary login tokens (payload: the user id). */
  tempTokens: Tickets<{ userId: string }>;
  tempTokenTtlSeconds: number;
  issuer: string;
  qr: QrRenderer;
  /** 20 random bytes (160 bits, RFC 4226's recommended secret length). */
  secretSource?: () => Uint8Array;
  now?: () => number;
}

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  qrCode: { pngDataUrl: string; svg: string };
}

const BACKUP_CODE_COUNT = 10;
const BACKUP_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function newBackupCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => BACKUP_ALPHABET[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** What a user typed, as one of the two code kinds (or neither). */
function classify(input: string): { kind: 'totp'; code: string } | { kind: 'backup'; hash: string } | null {
  const compact = input.replace(/[\s-]/g, '').toLowerCase();
  if (/^\d{6}$/.test(compact)) return { kind: 'totp', code: compact };
  if (/^[a-z2-7]{10}$/.test(compact)) return { kind: 'backup', hash: sha256(compact) };
  return null;
}

/**
 * TOTP two-factor authentication: setup (secret + otpauth URI + QR), enable with a first
 * code (→ 10 backup codes), disable, regenerate backup codes, and the second sign-in step.
 */
export class TotpService {
  private readonly now: () => number;
  private readonly secretSource: () => Uint8Array;

  constructor(private readonly deps: TotpDeps) {
    this.now = deps.now ?? Date.now;
    this.secretSource = deps.secretSource ?? (() => randomBytes(20));
  }

  async isEnabled(userId: string): Promise<boolean> {
    const row = await this.deps.repo.find(userId);
    return row?.enabled_at != null;
  }

  async status(userId: string): Promise<{ enabled: boolean; backupCodesLeft: number }> {
    const enabled = await this.isEnabled(userId);
    return { enabled, backupCodesLeft: enabled ? await this.deps.repo.unusedBackupCodes(userId) : 0 };
  }

  async setup(userId: string): Promise<TotpSetup> {
    const user = await this.mustFind(userId);
    if (await this.isEnabled(userId)) throw new AppError('totp:already_enabled');
    let secretBytes: Uint8Array;
    try {
      secretBytes = this.secretSource();
      if (secretBytes.length < 16) throw new Error(`secret source returned ${secretBytes.length} bytes`);
    } catch (cause) {
      throw new AppError('totp:secret_generation_failed', { cause });
    }
    const secret = base32Encode(secretBytes);
    const uri = otpauthUri({ issuer: this.deps.issuer, account: user.email, secret });
    let qrCode: TotpSetup['qrCode'];
    try {
      const [pngDataUrl, svg] = await Promise.all([this.deps.qr.pngDataUrl(uri), this.deps.qr.svg(uri)]);
      qrCode = { pngDataUrl, svg };
    } catch (cause) {
      throw new AppError('totp:qr_generation_failed', { cause });
    }
    if (!(await this.deps.repo.savePending(userId, this.deps.box.seal(secretBytes, userId), this.now()))) throw new AppError('totp:already_enabled');
    return { secret, otpauthUri: uri, qrCode };
  }

  /** Confirms setup with a first code; answers the backup codes, shown this once. */
  async enable(userId: string, code: string): Promise<{ backupCodes: string[] }> {
    const row = await this.deps.repo.find(userId);
    if (row?.enabled_at != null) throw new AppError('totp:already_enabled');
    if (!row) throw new AppError('totp:invalid_code', { message: 'Set up TOTP first (POST /v1/me/totp/setup)', details: [{ field: 'code', issue: 'no TOTP setup in progress' }] });
    const step = this.match(row.secret_ciphertext, userId, code);
    if (step === null || !(await this.deps.repo.claimStep(userId, step, this.now(), { enable: true, sealed: row.secret_ciphertext }))) {
      if (await this.isEnabled(userId)) throw new AppError('totp:already_enabled');
      throw invalidCode();
    }
    return { backupCodes: await this.issueBackupCodes(userId) };
  }

  async disable(userId: string, code: string): Promise<void> {
    await this.verifyForAccount(userId, code);
    await this.deps.repo.remove(userId);
  }

  async regenerateBackupCodes(userId: string, code: string): Promise<{ backupCodes: string[] }> {
    await this.verifyForAccount(userId, code);
    return { backupCodes: await this.issueBackupCodes(userId) };
  }

  /** Password (or another first factor) passed and 2FA is on: the temporary token for step two. */
  async challenge(userId: string): Promise<{ tempToken: string; expiresIn: number }> {
    const { token } = await this.deps.tempTokens.issue({ userId });
    return { tempToken: token, expiresIn: this.deps.tempTokenTtlSeconds };
  }

  /**
   * The second sign-in step. The temporary token is consumed atomically; a wrong code puts it
   * back (until it expires) so the user can retype, and counts toward the account lockout.
   */
  async completeSignIn(tempToken: string, code: string): Promise<UserRow> {
    const ticket = await this.deps.tempTokens.consume(tempToken);
    if (ticket.status === 'invalid') throw new AppError('totp:temp_token_invalid');
    if (ticket.status === 'expired') throw new AppError('totp:temp_token_expired');
    const { userId } = ticket.payload;
    const user = await this.deps.users.findById(userId);
    const row = await this.deps.repo.find(userId);
    // 2FA switched off (or the account deleted) since the password step: start again.
    if (!user || row?.enabled_at == null) throw new AppError('totp:temp_token_invalid');
    await this.deps.lockout.assertOpen(userId);
    try {
      await this.verifyCode(row.secret_ciphertext, userId, code);
    } catch (err) {
      await this.deps.lockout.recordFailure(userId);
      await this.deps.tempTokens.restore(tempToken, ticket.payload, ticket.expiresAt);
      throw err;
    }
    await this.deps.lockout.clear(userId);
    return user;
  }

  private async verifyForAccount(userId: string, code: string): Promise<void> {
    const row = await this.deps.repo.find(userId);
    if (row?.enabled_at == null) throw new AppError('totp:not_enabled');
    await this.verifyCode(row.secret_ciphertext, userId, code);
  }

  /** A current TOTP code (once) or an unused backup code (once); throws otherwise. */
  private async verifyCode(sealed: string, userId: string, input: string): Promise<void> {
    const kind = classify(input);
    if (kind?.kind === 'totp') {
      const step = this.match(sealed, userId, kind.code);
      if (step !== null && (await this.deps.repo.claimStep(userId, step, this.now()))) return;
      throw invalidCode();
    }
    if (kind?.kind === 'backup') {
      if ((await this.deps.repo.unusedBackupCodes(userId)) === 0) throw new AppError('totp:backup_code_exhausted');
      if (await this.deps.repo.useBackupCode(userId, kind.hash, this.now())) return;
    }
    throw invalidCode();
  }

  private match(sealed: string, userId: string, code: string): number | null {
    const kind = classify(code);
    if (kind?.kind !== 'totp') return null;
    let secret: Buffer;
    try {
      secret = this.deps.box.open(sealed, userId);
    } catch {
      // Sealed under another signing key (JWT_SECRET rotated): no TOTP code can match; backup codes still work.
      return null;
    }
    return matchTotp(secret, kind.code, this.now(), { window: 1 });
  }

  private async issueBackupCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
    await this.deps.repo.replaceBackupCodes(userId, codes.map((c) => sha256(c.replace('-', ''))), this.now());
    return codes;
  }

  private async mustFind(userId: string): Promise<UserRow> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AppError('session:not_found');
    return user;
  }
}

function invalidCode(): AppError {
  return new AppError('totp:invalid_code', { details: [{ field: 'code', issue: 'wrong, already used or outside the time window' }] });
}

