import { Global, Injectable, Module } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (prom-client), one registry per process. The names are the ones the dashboard
 * (docs/grafana-dashboard.json) and the alert rules (ops/prometheus/alerts.yml) read; change them together.
 * Features record through this object; what can be read on demand (pool, Redis, queue, sockets) is collected
 * at scrape time by gauges whose `collect` a feature registers.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly socketEvents = new Counter({
    name: 'socket_events_total',
    help: 'Socket.IO client events by event and outcome (ok, error).',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly socketDuration = new Histogram({
    name: 'socket_event_duration_seconds',
    help: 'Time from a client event to its acknowledgement.',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly messagesSent = new Counter({
    name: 'messages_sent_total',
    help: 'Messages stored (new sends; replays not counted).',
    registers: [this.registry],
  });
  readonly sendBatchSize = new Histogram({
    name: 'send_batch_size',
    help: 'Sends per batch, rate-limited ones included (group commit: one statement and one commit per batch).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly sendBatchPhase = new Histogram({
    name: 'send_batch_phase_seconds',
    help:
      "Where a send batch's time goes: queued (its oldest send waiting for a free slot), redis (rate limit " +
      'and delivery-outbox record, one round trip), statement (the PostgreSQL statement and its commit).',
    labelNames: ['phase'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly publishFailures = new Counter({
    name: 'socketio_publish_failures_total',
    help: 'Socket.IO publications to Redis that failed (Redis down or slower than the command timeout).',
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'notifications_jobs_total',
    help: 'Notification jobs by outcome (sent, online, unlinked, nothing-unread, blocked, rejected, failed, ...).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Event-loop lag, CPU, memory, GC, handles: prom-client's standard process and Node.js metrics.
    collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge read when Prometheus scrapes (connected sockets, pool, Redis, queue depth). */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (set: (value: number, labels?: Partial<Record<L, string>>) => void) => void | Promise<void>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect((value, labels) => (labels ? this.set(labels, value) : this.set(value)));
      },
    });
  }

  /** Counts and times every HTTP request, labelled by route pattern (never the raw URL: ids stay out). */
  http(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const end = this.httpDuration.startTimer();
      res.once('finish', () => {
        const route = req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : 'unmatched';
        const labels = { method: req.method, route, status: String(res.statusCode) };
        this.httpRequests.inc(labels);
        end(labels);
      });
      next();
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
