import type { SocketErrorCode } from '@conclave/contracts';

/** Why a genesis, an admission or a decline was refused; the admissions gateway turns it into a coded socket error. */
export class AdmissionRefusal extends Error {
  constructor(
    readonly code: Extract<SocketErrorCode, 'invalid-payload' | 'no-such-room' | 'not-admitted' | 'bad-signature'>,
    message: string,
  ) {
    super(message);
  }
}
