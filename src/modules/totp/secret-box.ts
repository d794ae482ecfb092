import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Encrypts TOTP secrets at rest (AES-256-GCM). The key is derived from the signing key with
 * HKDF under its own label, so it never equals a key used for anything else. A database
 * dump alone does not reveal any secret; rotating JWT_SECRET makes existing ones unreadable
 * (users then set 2FA up again; see docs/sign-in.md).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(signingKey: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', signingKey, 'basalt', 'basalt totp secret encryption v1', 32));
  }

  seal(plain: Uint8Array, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The user id as associated data: a ciphertext copied onto another row does not decrypt.
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new Error('unreadable sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }
}
