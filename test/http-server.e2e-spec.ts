import fs from 'fs';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { Express } from 'express';
import { RunningApp, startApp } from './support/app';

describe('the HTTP server', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp();
  });
  afterAll(() => running?.close());

  // Express sets each request's prototype in app.handle; done to an object Node already made, V8 gives it a
  // hidden class of its own, which kept every request's objects alive through young-generation GCs
  // (src/common/express-adapter.ts). Born with Express's prototypes, nothing is changed.
  it("makes requests and responses with Express's prototypes, on every route", async () => {
    const server: Server = running.app.getHttpServer();
    const express: Express = running.app.getHttpAdapter().getInstance();
    const seen: { url?: string; request: boolean; response: boolean }[] = [];
    const watch = (req: IncomingMessage, res: ServerResponse) =>
      seen.push({
        url: req.url,
        request: Object.getPrototypeOf(req) === express.request,
        response: Object.getPrototypeOf(res) === express.response,
      });
    server.prependListener('request', watch);
    const statuses: number[] = [];
    try {
      for (const path of ['/api/health', '/api/nope', '/api/users/me', '/'])
        statuses.push((await fetch(`${running.url}${path}`)).status);
    } finally {
      server.off('request', watch);
    }
    expect(statuses).toEqual([200, 404, 401, 200]);
    expect(seen).toEqual(
      ['/api/health', '/api/nope', '/api/users/me', '/'].map((url) => ({
        url,
        request: true,
        response: true,
      })),
    );
  });

  it('looks for web-client files only outside the API', async () => {
    const stat = jest.spyOn(fs, 'stat');
    try {
      for (const path of ['/api/health', '/api/nope', '/api/users/me', '/metrics', '/docs-json'])
        await fetch(`${running.url}${path}`);
      expect(stat).not.toHaveBeenCalled();
      const page = await fetch(`${running.url}/style.css`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/css/);
      expect(stat).toHaveBeenCalled();
      expect((await fetch(`${running.url}/no-such-file.js`)).status).toBe(404);
    } finally {
      stat.mockRestore();
    }
  });
});
