import { ApiProperty } from '@nestjs/swagger';
import { QueryInt } from './query-int';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `limit` and `offset` query parameters of a paged list. */
export class PageQueryDto {
  @ApiProperty({ required: false, minimum: 1, maximum: 100, default: 20, example: 20 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiProperty({ required: false, minimum: 0, default: 0, example: 0, description: 'Items to skip' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  offset: number = 0;
}
