import type { MessageDto, ReceiptDto } from './dto/message.dto';

export interface CreatedMessage {
  message: MessageDto;
  recipientIds: string[];
  /** The socket that sent it (it gets the ack, not a message:new); absent when published again. */
  originSocketId?: string;
}

/** Messages just committed (one batch), or committed earlier and published again by the outbox sweeper. */
export interface MessagesCreatedEvent {
  items: CreatedMessage[];
  /** The DeliveryOutbox entry to acknowledge once the items are published. */
  delivery?: string;
}
export interface MessageChangedEvent {
  message: MessageDto;
  recipientIds: string[];
}
export interface ReceiptEvent {
  receipt: ReceiptDto;
  recipientIds: string[];
}

/** Events the messages module emits; each names the users it concerns. */
declare module '../common/events' {
  interface AppEvents {
    'messages.created': MessagesCreatedEvent;
    'message.updated': MessageChangedEvent;
    'message.deleted': MessageChangedEvent;
    receipt: ReceiptEvent;
  }
}
