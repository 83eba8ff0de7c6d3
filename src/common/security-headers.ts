import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The web client's Content-Security-Policy: everything from this origin, no inline script or style, no eval,
 * never framed. Nginx sends the same for the files it serves (nginx/templates/default.conf.template).
 */
const CLIENT_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const common = {
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  // The API is same-origin with its client; cross-origin isolation headers would break nothing but help nothing.
  crossOriginEmbedderPolicy: false,
};

/**
 * helmet on every response (nosniff, frame denial, Referrer-Policy, HSTS over HTTPS, ...), with a strict CSP.
 * Swagger UI (/docs) ships an inline <style> and data: icons, so only its pages allow those.
 */
export function securityHeaders(): RequestHandler {
  const strict = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: CLIENT_CSP } });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        ...CLIENT_CSP,
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
      },
    },
  });
  return (req, res, next) => (req.path.startsWith('/docs') ? docs : strict)(req, res, next);
}
