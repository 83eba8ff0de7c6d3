export interface PresenceChangedEvent {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
  /** Users who share a chat with userId. */
  recipientIds: string[];
}

declare module '../common/events' {
  interface AppEvents {
    'presence.changed': PresenceChangedEvent;
  }
}
