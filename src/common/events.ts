import { Global, Injectable, Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';

/**
 * The internal events, by name. Empty here on purpose: each feature declares its own events next to the code
 * that emits them (`declare module '../common/events' { interface AppEvents { ... } }`), so this file never
 * imports a feature, while every emit and every listener is checked against one map.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AppEvents {}

export type AppEventName = Extract<keyof AppEvents, string>;

/**
 * Services announce what happened through this bus and never touch sockets or queues; the realtime gateway and
 * the notification producer listen. Listeners run synchronously unless they ask for `{ async: true }`.
 */
@Injectable()
export class EventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends AppEventName>(event: K, payload: AppEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}

/** `@OnEvent` whose handler must accept exactly what the event carries. */
export function OnAppEvent<K extends AppEventName>(event: K, options?: { async?: boolean }) {
  return <T extends (payload: AppEvents[K]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    OnEvent(event, options?.async ? { async: true, promisify: true } : {})(target, key, descriptor);
  };
}

@Global()
@Module({ imports: [EventEmitterModule.forRoot()], providers: [EventBus], exports: [EventBus] })
export class EventsModule {}
