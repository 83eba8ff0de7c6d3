import type { MessageDto, ReceiptDto } from './dto/message.dto';

/** Events the messages module emits; each names the users it concerns. */
export interface MessageCreatedEvent {
  message: MessageDto;
  recipientIds: string[];
  /** The socket that sent it (it gets the ack, not a message:new). */
  originSocketId?: string;
}
export interface MessageChangedEvent {
  message: MessageDto;
  recipientIds: string[];
}
export interface ReceiptEvent {
  receipt: ReceiptDto;
  recipientIds: string[];
}

declare module '../common/events' {
  interface AppEvents {
    'message.created': MessageCreatedEvent;
    'message.updated': MessageChangedEvent;
    'message.deleted': MessageChangedEvent;
    receipt: ReceiptEvent;
  }
}
