import { readFileSync } from 'fs';
import { join } from 'path';
import { registerDecorator, ValidationArguments } from 'class-validator';

export const PASSWORD_MIN_CHARS = 10;
/** bcrypt reads at most 72 bytes: anything after them would be silently ignored. */
export const PASSWORD_MAX_BYTES = 72;

/** The data file ships next to this module (copied into dist/ as a build asset). */
const COMMON = new Set(
  readFileSync(join(__dirname, 'common-passwords.txt'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#')),
);

/** Why a password is refused, in words a person can act on; null when it is acceptable. */
export function passwordProblem(
  password: string,
  account: { username?: unknown; email?: unknown },
): string | null {
  if ([...password].length < PASSWORD_MIN_CHARS)
    return `password must be at least ${PASSWORD_MIN_CHARS} characters long`;
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES)
    return `password must be at most ${PASSWORD_MAX_BYTES} bytes (fewer characters when they are not plain ASCII)`;
  const lower = password.toLowerCase();
  for (const own of [account.username, account.email])
    if (typeof own === 'string' && own && lower === own.trim().toLowerCase())
      return 'password must not be the same as your username or email';
  if (COMMON.has(lower)) return 'password is one of the most common passwords; choose another';
  return null;
}

/** On a DTO with `username` and `email`: the rules above, reported as one validation error on the field. */
export function IsAcceptablePassword(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          typeof value === 'string' && passwordProblem(value, args.object) === null,
        defaultMessage: (args: ValidationArguments) =>
          typeof args.value === 'string'
            ? (passwordProblem(args.value, args.object) ?? 'password is not acceptable')
            : 'password must be a string',
      },
    });
}
