import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { SecurityModule } from '../security/security.module.js';
import { DownloadsController } from './downloads.controller.js';
import { FILE_STORAGE } from './file-storage.js';
import { FilesSweeper } from './files-sweeper.js';
import { FilesService } from './files.service.js';
import { RoomFilesController } from './room-files.controller.js';
import { fileStorageProvider } from './storage/storage.provider.js';
import { closeUnreadBody } from './upload-admission.guard.js';

/** Encrypted file sharing (docs/protocol.md §10): the files table, the storage driver, uploads, links, downloads and the sweeper. */
@Module({
  imports: [AuthModule, RoomsModule, SecurityModule],
  controllers: [RoomFilesController, DownloadsController],
  providers: [fileStorageProvider, FilesService, FilesSweeper],
  exports: [FILE_STORAGE, FilesService],
})
export class FilesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(closeUnreadBody).forRoutes({ path: 'api/rooms/:code/files/:fileId', method: RequestMethod.PUT });
  }
}
