import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, ValidationOptions, registerDecorator } from 'class-validator';

/**
 * Characters a name must not contain, because they let one name impersonate or garble another on screen:
 * control characters, bidirectional overrides/isolates/marks, and invisible (zero-width) characters. The
 * zero-width joiner is allowed between two emoji, where it builds one glyph (👩‍💻).
 */
const INVISIBLE_OR_CONTROL =
  /[\p{Cc}\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u2028\u2029]|(?<!\p{Extended_Pictographic}\ufe0f?)\u200d|\u200d(?!\p{Extended_Pictographic})/u;

export function hasInvisibleOrControl(value: string): boolean {
  return INVISIBLE_OR_CONTROL.test(value);
}

/** For names shown to other people (display names, group names). */
export function IsDisplayName(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isDisplayName',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must not contain control, bidirectional-override or invisible characters`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && !hasInvisibleOrControl(value) },
    });
}

/** class-transformer: a string without its leading and trailing whitespace; anything else as it is. */
export const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** An optional display name in a request body: trimmed, 1 to 64 characters, IsDisplayName. */
export function OptionalDisplayName(): PropertyDecorator {
  return applyDecorators(IsOptional(), Transform(trimmed), IsString(), Length(1, 64), IsDisplayName());
}
