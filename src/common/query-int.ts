import { Transform } from 'class-transformer';

/**
 * A whole number from a query string, written in decimal digits only. `Number()` alone would also read
 * '0x10' as 16, '1e2' as 100 and ' 1' as 1; those stay strings here, and the field's @IsInt() refuses them.
 */
export const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value,
  );
