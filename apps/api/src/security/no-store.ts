import type { NextFunction, Request, Response } from 'express';

/**
 * API answers carry user data (the sealed key backup, contact books, rooms and their members, the
 * key directory): no browser cache, shared proxy or back/forward cache may keep a copy of any of
 * them, so every /api response says so, errors included.
 */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
