import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  type CreateJobRequest,
  ExtraErrorCode,
  FieldErrorCode,
  type JobCreatedView,
  JobStatus,
  type JobStatusMeta,
  type JobStatusView,
  JobsSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthService } from '../auth/auth.service.js';
import { replyWithError } from '../http/all-exceptions.filter.js';
import { successEnvelope, successEnvelopeJson } from '../http/envelope.interceptor.js';
import { canonicalId } from '../http/uuid-param.js';
import { createJobBody } from './create-body.js';
import { JobEventsHub } from './job-events.hub.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, checked: 1-255 visible ASCII characters, or a 422. */
export function idempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw AppError.validation([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-255 visible ASCII characters', code: FieldErrorCode.INVALID_FORMAT }]);
  }
  return raw;
}

export const GENERATE_PATH = '/api/v1/videos/generate';
export const STATUS_PATH = '/api/v1/videos/jobs/:job_id/status';

/**
 * The two hottest routes of the API, creating a job and polling its status, served as plain
 * Fastify routes instead of through Nest's guard/pipe/interceptor chain, which cost more than
 * everything else a poll does. They run the same code the chain would: the root hooks (request
 * id, rate limit, metrics), `AuthService.authenticate` (token, caller, account status), the DTO
 * through `createJobBody` (the rules of `ApiValidationPipe`), and the envelope of every other
 * route, success or error.
 */
@Injectable()
export class HotJobRoutes implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    const errorHandler = (err: unknown, req: FastifyRequest, reply: FastifyReply) => replyWithError(req, reply, err);
    fastify.route({ method: 'POST', url: GENERATE_PATH, errorHandler, handler: (req, reply) => this.generate(req, reply) });
    fastify.route({ method: 'GET', url: STATUS_PATH, errorHandler, handler: (req, reply) => this.status(req as FastifyRequest<{ Params: { job_id: string } }>, reply) });
  }

  private async generate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const user = await this.auth.authenticate(req.headers.authorization, req.method, req.id);
    // The multipart parser is registered for the upload routes; here, as for any non-JSON body, 415.
    if (typeof req.isMultipart === 'function' && req.isMultipart()) throw new AppError(ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, 'This route accepts application/json bodies only');
    if (!user.permissions.can_generate_videos) throw AppError.forbidden('Your account may not generate videos');
    const body = await createJobBody(req.body);
    const payload: CreateJobRequest = { user, configuration: body.configuration, priority: body.priority, idempotency_key: idempotencyKey(req.headers['idempotency-key']) };
    // The creates of one event-loop turn travel to the jobs service as one message.
    const created = await this.nats.requestBatched<JobCreatedView>(JobsSubjects.create, payload, { requestId: req.id });
    // Seed the status cache: the first polls of a new job need no round trip.
    if (created.status === JobStatus.QUEUED && !payload.idempotency_key) {
      this.hub.remember(user.user_id, 0, { job_id: created.job_id, status: created.status, progress: created.progress, created_at: created.created_at, updated_at: created.created_at });
    }
    void reply.code(201).send(successEnvelope(created, 'Job created successfully', req.id));
  }

  private async status(req: FastifyRequest<{ Params: { job_id: string } }>, reply: FastifyReply): Promise<void> {
    const user: AuthContext = await this.auth.authenticate(req.headers.authorization, req.method, req.id);
    // `…/jobs/{ID IN UPPER CASE}/status` is the same job, and the same entry of the status cache.
    const jobId = canonicalId(req.params.job_id);
    const cached = this.hub.cachedStatus(user, jobId);
    if (cached?.json !== undefined) {
      // Written with the other answers of this event-loop turn (see `turnEnd`).
      await turnEnd();
      void reply.type(JSON_TYPE).send(successEnvelopeJson(cached.json, statusMessage(cached.view), req.id));
      return;
    }
    let view = cached?.view;
    if (!view) {
      const meta = await this.nats.request<JobStatusMeta>(JobsSubjects.status, { user, job_id: jobId, meta: true }, { requestId: req.id });
      this.hub.remember(meta.user_id, meta.seq, meta.view);
      view = meta.view;
    }
    void reply.send(successEnvelope(view, statusMessage(view), req.id));
  }
}

/**
 * Resolves once the requests read in this turn of the event loop have been handled (the check
 * phase, after the poll phase that read them). A poll answered from the cache is otherwise written
 * as soon as its request is read: a socket write per request, each waking the client anew between
 * the reads of the others, which on the 2-core benchmark machine cost more CPU on both sides than
 * the answer itself. Written together at the end of the turn, the answers reach a client that
 * wakes once for all of them: 48-54% of bare Fastify's polls instead of 36-43% in five
 * alternating pairs of runs, and a lower p99 (bench/jobs.bench.mjs). Creates need no such wait:
 * the answers of a NATS batch are already written one after the other (three pairs of runs with
 * it told nothing apart).
 */
function turnEnd(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What Fastify sends objects as; a string sent with it goes out as it is. */
const JSON_TYPE = 'application/json; charset=utf-8';
const statusMessage = (view: JobStatusView) => (view.status === JobStatus.COMPLETED ? 'Job completed successfully' : 'Job status retrieved');

const bearer = [{ bearer: [] }];
const createdResponse = { description: 'Created: the job, queued, in the envelope' };

/** OpenAPI of the routes above (Nest's document generator sees controllers only). */
export function documentHotJobRoutes(document: OpenAPIObject): void {
  document.paths['/api/v1/videos/generate'] = {
    post: {
      operationId: 'VideoJobs_generate',
      tags: ['videos'],
      summary: 'Queue a video generation job',
      security: bearer,
      parameters: [
        { name: 'idempotency-key', in: 'header', required: false, description: 'Same key and body within 24 h return the original job; a different body is 409', schema: { type: 'string' } },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateVideoJobDto' } } } },
      responses: { '201': createdResponse },
    },
  };
  document.paths['/api/v1/videos/jobs/{job_id}/status'] = {
    get: {
      operationId: 'VideoJobs_status',
      tags: ['videos'],
      summary: 'Status and progress of a job',
      security: bearer,
      parameters: [{ name: 'job_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      responses: { '200': { description: 'The job\'s status and progress in the envelope' } },
    },
  };
}
