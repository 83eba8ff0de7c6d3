import { ApiProperty } from '@nestjs/swagger';
import { ERROR_STATUS } from './app-error';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;
  @ApiProperty({ example: 'Bad Request' })
  error: string;
  @ApiProperty({ example: 'password must be longer than or equal to 8 characters' })
  message: string;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'VALIDATION_FAILED' })
  code: string;
  @ApiProperty({
    required: false,
    example: [{ field: 'password', errors: ['password must be longer than or equal to 8 characters'] }],
  })
  details?: unknown;
  @ApiProperty({
    required: false,
    description: 'Seconds to wait (429 only); also sent as Retry-After',
    example: 42,
  })
  retryAfter?: number;
}
