import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BaseConfig } from '@vgp/config';
import type { DataSourceOptions } from 'typeorm';
import { createDataSourceOptions, type EntityClass, type MigrationClass, openDataSource } from './data-source.factory.js';

export interface PersistenceModuleOptions {
  schema: string;
  entities: EntityClass[];
  migrations: MigrationClass[];
}

/** TypeORM for one service's schema; applies its migrations at start-up unless switched off. */
@Module({})
export class PersistenceModule {
  static forRoot(o: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [BaseConfig],
          useFactory: (c: BaseConfig) => ({
            ...createDataSourceOptions({
              url: c.DATABASE_URL,
              schema: o.schema,
              entities: o.entities,
              migrations: o.migrations,
              poolSize: c.DATABASE_POOL_SIZE,
            }),
            // Read by the factory below, which creates the schema before migrating.
            migrationsRun: c.DATABASE_MIGRATE_ON_START,
          }),
          dataSourceFactory: async (options) => {
            const { migrationsRun, ...rest } = options as DataSourceOptions;
            const ds = await openDataSource({ ...rest, migrationsRun: false } as DataSourceOptions, {
              migrate: !!migrationsRun,
              ensureDatabase: !!migrationsRun,
            });
            return ds;
          },
        }),
        TypeOrmModule.forFeature(o.entities),
      ],
      exports: [TypeOrmModule],
    };
  }
}
