import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics (README "Metrics"): one registry, GET /metrics, the HTTP timing. Modules with
 * something to count import it and call MetricsService. Global only so that Nest mounts its request
 * timing before every other module's middleware (global modules' middleware comes first): a
 * refusal by the CSRF or body-shape check is timed like any other answer.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
