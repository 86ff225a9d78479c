import type { Request } from 'express';

/** The route label of a request no controller route answered: the web app's files, unknown paths, middleware refusals. */
export const NO_ROUTE = '(no route)';

/**
 * The controller route a request reached, as its pattern (`/api/rooms/:code`), never the URL it came
 * with: ids and codes would make a label value per room and user. Read once the response is sent:
 * a guard's refusal happens inside the matched route, so it has one. Nest registers each handler
 * for its one method (app.get, app.post…); middleware it mounts for RequestMethod.ALL (nestjs-pino's
 * request logger is) becomes app.all(pattern), a route for every method that sets req.route as well.
 * Without telling them apart, a request no controller answered would carry a middleware's pattern:
 * a route for more than one method counts as no route (the app declares no @All() handler).
 */
export function routeLabel(req: Pick<Request, 'route'>): string {
  const route = req.route as { path?: unknown; methods?: Record<string, boolean> } | undefined;
  if (typeof route?.path !== 'string' || Object.keys(route.methods ?? {}).length !== 1) return NO_ROUTE;
  return route.path;
}
