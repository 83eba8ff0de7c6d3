import { IsBoolean } from 'class-validator';
import { IsId } from '../common/ids';
import { MarkReadDto, SendMessageDto } from '../messages/dto/message.dto';

/** The client events' payloads, validated with the same rules (and error shape) as the REST bodies. */
export class SendMessagePayloadDto extends SendMessageDto {
  @IsId()
  chatId: string;
}

export class MarkReadPayloadDto extends MarkReadDto {
  @IsId()
  chatId: string;
}

export class TypingPayloadDto {
  @IsId()
  chatId: string;
  @IsBoolean()
  isTyping: boolean;
}
