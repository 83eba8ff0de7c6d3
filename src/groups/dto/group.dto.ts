import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { IsId } from '../../common/ids';
import { ChatMemberDto } from '../../inbox/dto/chat.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class GroupNameDto {
  @ApiProperty({ example: 'Team', minLength: 1, maxLength: 128 })
  @Transform(trim)
  @IsString()
  @Length(1, 128)
  name: string;
}

export class CreateGroupDto extends GroupNameDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'Other members; the creator is added as owner',
  })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsId({ each: true })
  memberIds: string[];
}

export class AddMembersDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsId({ each: true })
  userIds: string[];
}

export class SetRoleDto {
  @ApiProperty({ enum: ['admin', 'member'] })
  @IsIn(['admin', 'member'])
  role: 'admin' | 'member';
}

export class GroupDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  chatId: string;
  @ApiProperty({ example: 'Team' })
  name: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  creatorId: string | null;
  @ApiProperty({ type: [ChatMemberDto] })
  members: ChatMemberDto[];
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
