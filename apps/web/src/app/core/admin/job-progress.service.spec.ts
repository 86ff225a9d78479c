import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { AdminJob } from '@conclave/contracts';
import { AdminApi } from './admin-api.service';
import { JOB_POLL_INTERVAL, JobProgress } from './job-progress.service';

const job = (state: AdminJob['state'], extra: Partial<AdminJob> = {}): AdminJob => ({
  id: 'j-1',
  kind: 'room-deletion',
  state,
  target: { roomId: 'r-1', code: 'ABC234' },
  createdAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  result: null,
  error: null,
  ...extra,
});

describe('JobProgress', () => {
  let http: HttpTestingController;
  let progress: JobProgress;
  const tick = () => new Promise((resolve) => setTimeout(resolve, 15));
  const poll = async () => {
    for (let i = 0; i < 100; i++) {
      const pending = http.match('/api/admin/v1/jobs/j-1');
      if (pending.length) return pending[0]!;
      await tick();
    }
    throw new Error('the job was not polled');
  };

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), JobProgress, { provide: JOB_POLL_INTERVAL, useValue: 5 }],
    });
    http = TestBed.inject(HttpTestingController);
    progress = TestBed.inject(JobProgress);
  });

  afterEach(() => http.verify());

  it('polls until the job succeeded, shows each state, and says once that it is done', async () => {
    const done: AdminJob[] = [];
    progress.follow(job('queued'), (j) => done.push(j));
    expect(progress.job()?.state).toBe('queued');
    (await poll()).flush(job('running'));
    await tick();
    expect(progress.job()?.state).toBe('running');
    const result = { members: 2, messages: 10, files: 1, fileBytes: 2048 };
    (await poll()).flush(job('succeeded', { result, finishedAt: '2026-01-01T00:00:05.000Z' }));
    await tick();
    expect(progress.job()).toMatchObject({ state: 'succeeded', result });
    expect(done.map((j) => j.state)).toEqual(['succeeded']);
    await tick();
    http.expectNone('/api/admin/v1/jobs/j-1');
  });

  it('shows a failed poll and tries again; stops on an unknown job', async () => {
    progress.follow(job('running'));
    (await poll()).flush({ statusCode: 503, error: 'Service Unavailable', message: 'Try again' }, { status: 503, statusText: 'Unavailable' });
    await tick();
    expect(progress.error()).toBe('Try again');
    (await poll()).flush({ statusCode: 404, error: 'Not Found', message: 'No such job' }, { status: 404, statusText: 'Not Found' });
    await tick();
    expect(progress.error()).toBe('No such job');
    await tick();
    http.expectNone('/api/admin/v1/jobs/j-1');
  });

  it('stops polling when dismissed or destroyed', async () => {
    progress.follow(job('running'));
    progress.dismiss();
    expect(progress.job()).toBeNull();
    await tick();
    http.expectNone('/api/admin/v1/jobs/j-1');

    const polled = vi.spyOn(TestBed.inject(AdminApi), 'job');
    progress.follow(job('running'));
    TestBed.resetTestingModule(); // destroys the injector that provided it, as leaving the screen does
    await tick();
    expect(polled).not.toHaveBeenCalled();
  });

  it('reports a job that was already finished without polling', () => {
    const done: string[] = [];
    progress.follow(job('failed', { error: 'storage unavailable' }), (j) => done.push(j.error ?? ''));
    expect(done).toEqual(['storage unavailable']);
  });
});
