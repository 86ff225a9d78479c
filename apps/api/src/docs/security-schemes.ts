/** The security scheme of API tokens (`Authorization: Bearer cnk_…`): the admin API and /metrics only. */
export const API_TOKEN_SCHEME = 'api-token';
/** The security scheme of a signed-in browser's session cookie: every user route. */
export const SESSION_SCHEME = 'session';
