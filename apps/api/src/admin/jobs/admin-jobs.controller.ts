import { BadRequestException, Controller, Get, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ADMIN_API_PREFIX, ADMIN_PATHS, type AdminJob } from '@conclave/contracts';
import { AdminAccess } from '../../auth/principal/admin.policy.js';
import { AcceptsApiTokens } from '../../auth/principal/decorators.js';
import { RateLimitGuard } from '../../security/throttling/rate-limit.guard.js';
import { RateLimit } from '../../security/throttling/rate-limits.js';
import { AdminErrors } from '../admin-docs.js';
import { AdminJobDto } from '../rooms/responses.js';
import { AdminJobsService } from './admin-jobs.service.js';

const jobIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('jobId must be a job id (a UUID)') });

/** The admin API's asynchronous work (room deletions): poll a job until it succeeded or failed. */
@ApiTags('admin: rooms')
@ApiBearerAuth('api-token')
@AcceptsApiTokens()
@UseGuards(RateLimitGuard)
@RateLimit('admin')
@Controller(ADMIN_API_PREFIX)
export class AdminJobsController {
  constructor(private readonly jobs: AdminJobsService) {}

  @Get(ADMIN_PATHS.job)
  @AdminAccess('rooms:read')
  @ApiOperation({ summary: 'A room deletion job: queued, running, succeeded (with what was removed) or failed (with why)' })
  @ApiParam({ name: 'jobId', format: 'uuid', description: 'From the Location of DELETE rooms/{code}' })
  @ApiOkResponse({ type: AdminJobDto, description: 'The job' })
  @AdminErrors({ 400: 'A jobId that is not a UUID', 404: 'No job has this id' })
  get(@Param('jobId', jobIdPipe) jobId: string): Promise<AdminJob> {
    return this.jobs.get(jobId.toLowerCase());
  }
}
