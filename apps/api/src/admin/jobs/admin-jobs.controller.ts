import { Get } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ADMIN_PATHS, type AdminJob } from '@conclave/contracts';
import { AdminController } from '../common/admin-controller.js';
import { AdminRoute, BadInput, IdParam, NotFound } from '../common/admin-docs.js';
import { ADMIN_TAGS } from '../common/admin-tags.js';
import { UuidParam } from '../common/uuid-param.js';
import { AdminJobDto } from '../rooms/responses.js';
import { AdminJobsService } from './admin-jobs.service.js';

/** The admin API's asynchronous work (room deletions, hence the rooms tag): poll a job until it succeeded or failed. */
@AdminController(ADMIN_TAGS.rooms)
export class AdminJobsController {
  constructor(private readonly jobs: AdminJobsService) {}

  @Get(ADMIN_PATHS.job)
  @AdminRoute('rooms:read', 'A room deletion job: queued, running, succeeded (with what was removed) or failed (with why)')
  @IdParam('jobId', 'From the Location of DELETE rooms/{code}')
  @ApiOkResponse({ type: AdminJobDto, description: 'The job' })
  @BadInput('A jobId that is not a UUID')
  @NotFound('No job has this id')
  get(@UuidParam('jobId', 'jobId must be a job id (a UUID)') jobId: string): Promise<AdminJob> {
    return this.jobs.get(jobId);
  }
}
