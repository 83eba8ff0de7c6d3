import { ApiProperty } from '@nestjs/swagger';
import { ERROR_STATUS } from './app-error';

export class ErrorResponseDto {
  @ApiProperty({ example: 400, description: 'The HTTP status again' })
  statusCode: number;
  @ApiProperty({ example: 'Bad Request', description: "The status's reason phrase" })
  error: string;
  @ApiProperty({
    example: 'password must be at least 10 characters long',
    description: 'For people; programs should look at `code`',
  })
  message: string;
  @ApiProperty({
    enum: Object.keys(ERROR_STATUS),
    example: 'VALIDATION_FAILED',
    description: 'What went wrong, stable for programs to branch on',
  })
  code: string;
  @ApiProperty({
    required: false,
    description: 'VALIDATION_FAILED: the offending fields; other codes: what they concern (e.g. userIds)',
    example: [{ field: 'password', errors: ['password must be at least 10 characters long'] }],
  })
  details?: unknown;
  @ApiProperty({
    required: false,
    description:
      'Seconds to wait before retrying (429, and 503 where retrying helps); also sent as Retry-After',
    example: 2,
  })
  retryAfter?: number;
  @ApiProperty({
    description:
      "This request's id, also sent as the X-Request-Id header and logged with the request: quote it when " +
      "reporting a problem. Taken from the request's own X-Request-Id when that is 1-128 characters of " +
      '[A-Za-z0-9._-], a new UUID otherwise',
    example: '5f0c2b7e-8d1a-4c3e-9b6f-2a4d8e1c7b90',
  })
  requestId: string;
}
