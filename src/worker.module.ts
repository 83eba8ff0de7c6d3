import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { MetricsServerModule } from './health/metrics-server';
import { NotificationsWorkerModule } from './notifications/notifications.module';

/** The worker process: the notification queue's consumer and the Telegram bot; it serves only its /metrics. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config), NotificationsWorkerModule, MetricsServerModule],
    };
  }
}
