import { TestBed } from '@angular/core/testing';
import { isWebCryptoAvailable } from '@conclave/crypto';
import { CryptoService } from './crypto.service';

describe('CryptoService', () => {
  it('reports what libs/crypto finds in this runtime', () => {
    const service = TestBed.inject(CryptoService);
    expect(service.available()).toBe(isWebCryptoAvailable());
    expect(service.available()).toBe(typeof globalThis.crypto?.subtle?.importKey === 'function');
  });
});
