import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options.js';

/** The connection string main.ts resolved, for the few clients that are not TypeORM (the session store). */
export const DATABASE_URL = Symbol('DATABASE_URL');

/** TypeORM on the database main.ts opened; pending migrations run before the app takes requests. */
@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [{ provide: DATABASE_URL, useValue: url }],
      exports: [DATABASE_URL],
      imports: [
        TypeOrmModule.forRootAsync({
          // main.ts already proved the database reachable; fail fast rather than retry for 30 s.
          useFactory: () => ({ ...dataSourceOptions(url), autoLoadEntities: true, retryAttempts: 0 }),
        }),
      ],
    };
  }
}
