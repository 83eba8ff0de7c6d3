export interface SessionEndedEvent {
  userId: string;
  sessionId: string;
  /** logout: the session's own logout; revoked: deleted from another session, or its refresh token was reused. */
  reason: 'logout' | 'revoked';
}

declare module '../common/events' {
  interface AppEvents {
    'session.ended': SessionEndedEvent;
  }
}
