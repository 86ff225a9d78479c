import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { WebAppMiddleware } from './web-app.middleware.js';

/** The Angular app, served by the same HTTPS process as the API. */
@Module({})
export class WebModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebAppMiddleware).forRoutes('{*path}');
  }
}
