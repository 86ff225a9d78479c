import { InsecureEndpointError, socketEndpoint } from './socket-endpoint';

describe('socketEndpoint', () => {
  it('maps an https page to the wss origin of the same host and port', () => {
    expect(socketEndpoint('https://chat.example.com')).toBe('wss://chat.example.com');
    expect(socketEndpoint('https://localhost:8443')).toBe('wss://localhost:8443');
    expect(socketEndpoint('wss://localhost:8443/socket.io')).toBe('wss://localhost:8443');
  });

  it.each(['http://localhost:8080', 'ws://localhost:8443', 'ftp://example.com', 'not a url', ''])('refuses %j', (endpoint) => {
    expect(() => socketEndpoint(endpoint)).toThrow(InsecureEndpointError);
    expect(() => socketEndpoint(endpoint)).toThrow(/only talks over an encrypted connection \(wss:\/\/\)/);
  });
});
