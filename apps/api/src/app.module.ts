import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { ClusterConnection } from './cluster/cluster-connection.js';
import { ClusterModule } from './cluster/cluster.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { FilesModule } from './files/files.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RoomsModule } from './rooms/rooms.module.js';
import { SecurityModule } from './security/security.module.js';
import { WebModule } from './web/web.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  cluster: ClusterConnection;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, logger, cluster }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Logging first, so its request middleware wraps every other module's.
        LoggingModule.forRoot(logger),
        MetricsModule,
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl),
        ClusterModule.forRoot(cluster),
        SecurityModule,
        HealthModule,
        AuthModule,
        RoomsModule,
        MessagesModule,
        FilesModule,
        AdminModule,
        // Last: the SPA fallback must not shadow an API route.
        WebModule,
      ],
    };
  }
}
