import { isLoopbackOrPrivate } from './deployment-warnings.js';

describe('isLoopbackOrPrivate (METRICS_ADDRESS warning)', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.20',
    '::1',
    '0:0:0:0:0:0:0:1',
    'fc00::1',
    'fd12:3456::9',
    '::ffff:192.168.0.5',
    'localhost',
    'LOCALHOST',
    'localhost.',
  ])('%s: no warning', (host) => {
    expect(isLoopbackOrPrivate(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.1',
    '192.169.0.1',
    '11.0.0.1',
    '169.254.1.1',
    '2001:db8::1',
    'fe80::1',
    '::ffff:8.8.8.8',
    'metrics.example.com',
    'localhost.example.com',
    'my-localhost',
  ])('%s: a warning', (host) => {
    expect(isLoopbackOrPrivate(host)).toBe(false);
  });
});
