import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { InboxModule } from './inbox/inbox.module';
import { MessagesModule } from './messages/messages.module';
import { NotificationsModule } from './notifications/notifications.module';
import { ProfilesModule } from './profiles/profiles.module';
import { RealtimeModule } from './realtime/realtime.module';
import { TelegramModule } from './telegram/telegram.module';

/** The API process: the feature modules with an HTTP or socket face, on the shared infrastructure. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        MessagesModule,
        InboxModule,
        GroupsModule,
        ProfilesModule,
        AuthModule,
        RealtimeModule,
        TelegramModule,
        NotificationsModule,
        HealthModule,
      ],
    };
  }
}
