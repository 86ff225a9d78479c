import { bearerOf, parseApiToken } from './presented-token.js';

const SECRET = 'q8Yv2LmR0sXhT4nWc7JbE1uKzP9aGd3fNo6iQy5VtHw';
const TOKEN = `cnk_5b7e0c1d2a3f4b6c9d8e7f6a5b4c3d2e_${SECRET}`;

describe('a presented API token', () => {
  it('is the one credential of a Bearer header, in any case of the scheme and with spaces around', () => {
    expect(bearerOf(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerOf(`  bearer   ${TOKEN} `)).toBe(TOKEN);
    for (const header of [TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN} extra`, 'Bearer', '']) expect(bearerOf(header)).toBeUndefined();
  });

  it('names its id as the UUID it is stored under, and its secret', () => {
    expect(parseApiToken(TOKEN)).toEqual({ id: '5b7e0c1d-2a3f-4b6c-9d8e-7f6a5b4c3d2e', secret: SECRET });
  });

  it.each([
    ['another prefix', TOKEN.replace('cnk_', 'cnx_')],
    ['an id in capitals', TOKEN.replace('5b7e0c1d', '5B7E0C1D')],
    ['a short id', TOKEN.replace('5b7e0c1d', '5b7e0c1')],
    ['a short secret', TOKEN.slice(0, -1)],
    ['a secret with other characters', `${TOKEN.slice(0, -1)}+`],
  ])('is refused with %s', (_what, token) => {
    expect(parseApiToken(token)).toBeUndefined();
  });
});
