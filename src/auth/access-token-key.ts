import { createSecretKey, KeyObject } from 'crypto';

/**
 * The HMAC key for access tokens, made once. Given the secret as a string, jsonwebtoken tries it as a PEM
 * public key first (an exception thrown and caught) and then builds a secret key, on every verify: 7 % of a
 * history request's CPU. The key is the same bytes (the secret in UTF-8), so tokens signed either way verify.
 */
export function accessTokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Only HMAC-SHA256: what we sign with, and nothing else is accepted. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';
