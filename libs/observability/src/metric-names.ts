/**
 * Every metric name of the platform, in one place: Prometheus conventions, unit in the name,
 * `_total` on counters. Labels stay bounded (route templates and subjects, never ids).
 */
export const MetricNames = {
  httpRequestDuration: 'http_request_duration_seconds',
  natsHandlerDuration: 'nats_handler_duration_seconds',
  natsRequestDuration: 'nats_client_request_duration_seconds',
  jobsCreated: 'jobs_created_total',
  jobsFinished: 'jobs_finished_total',
  jobsQueueDepth: 'jobs_queue_depth',
  /** Gauge: processing jobs whose lease expired without renewal (alert `StuckJobs`). */
  jobsStuck: 'jobs_stuck',
  jobClaimLatency: 'jobs_claim_latency_seconds',
  /** Counter: transactions run again after PostgreSQL aborted them (label `reason`: deadlock, serialization). */
  jobsTxRetries: 'jobs_tx_retries_total',
  renderDuration: 'render_duration_seconds',
  renderRealtimeFactor: 'render_realtime_factor',
  renderStageDuration: 'render_stage_duration_seconds',
  renderActiveJobs: 'render_active_jobs',
  uploadedBytes: 'files_uploaded_bytes_total',
  streamedBytes: 'videos_streamed_bytes_total',
  rateLimited: 'gateway_rate_limited_total',
  sseClients: 'gateway_sse_clients',
  wsClients: 'gateway_websocket_clients',
} as const;

/** Latency buckets from 1 ms to 10 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
