import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CLUSTER, type ClusterConnection } from './cluster-connection.js';

/** The cluster connection main.ts opened (CLUSTER), for the rate-limit storage and anything else shared between instances. */
@Global()
@Module({})
export class ClusterModule {
  static forRoot(cluster: ClusterConnection): DynamicModule {
    return { module: ClusterModule, providers: [{ provide: CLUSTER, useValue: cluster }], exports: [CLUSTER] };
  }
}
