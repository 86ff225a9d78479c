import type { SocketErrorCode } from '@conclave/contracts';
import { ChatError } from '../../realtime/socket-errors.js';

/** Why a genesis, an admission or a decline was refused: the socket error filter answers it with its code. */
export class AdmissionRefusal extends ChatError {
  constructor(code: Extract<SocketErrorCode, 'invalid-payload' | 'no-such-room' | 'not-admitted' | 'bad-signature'>, message: string) {
    super(code, message);
  }
}
