import { ROOM_CODE_PATTERN } from '@conclave/contracts';
import { InvalidInputError } from './errors.js';
import { toBase64, utf8 } from './encoding.js';
import { hkdf } from './hkdf.js';
import { V1 } from './labels.js';
import { attempt, subtle } from './webcrypto.js';

export interface RoomPasswordKeys {
  /** Sent to the server (PUT password, join): base64 of 32 bytes; the server stores bcrypt of it. */
  joinKey: string;
  /** The password's verifier key: proves a join, sealed for members; never sent in clear. */
  admitKey: Uint8Array<ArrayBuffer>;
}

/**
 * A room password as end-to-end secrets (docs/protocol.md, "Room passwords"):
 * roomMaster = PBKDF2-SHA256(NFKC(password), "conclave/v1/room|" + CODE, 600000, 32 bytes),
 * joinKey = HKDF(roomMaster, "conclave/v1/room-join"), admitKey = HKDF(roomMaster, "conclave/v1/room-admit").
 * The salt names the room code, not its id: a joiner does not know the id before the server lets
 * it in, and the creator's browser derives before the room exists.
 */
export async function deriveRoomPassword(password: string, code: string): Promise<RoomPasswordKeys> {
  if (typeof password !== 'string' || password.length === 0) throw new InvalidInputError('the room password is empty');
  const roomCode = checkRoomCode(code);
  const wc = subtle();
  const roomMaster = await attempt(
    async () => {
      const passwordKey = await wc.importKey('raw', utf8(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
      const salt = utf8(V1.roomPasswordSalt + roomCode);
      return new Uint8Array(await wc.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: V1.pbkdf2Iterations }, passwordKey, 256));
    },
    (cause) => new InvalidInputError('cannot derive keys from this room password', { cause }),
  );
  const [joinKey, admitKey] = await Promise.all([hkdf(roomMaster, V1.roomJoinInfo), hkdf(roomMaster, V1.roomAdmitInfo)]);
  return { joinKey: toBase64(joinKey), admitKey };
}

/** A room code as the server spells it: 4 characters of ROOM_CODE_ALPHABET (typed lowercase is accepted and upper-cased). */
export function checkRoomCode(code: unknown): string {
  const upper = typeof code === 'string' ? code.toUpperCase() : '';
  if (!ROOM_CODE_PATTERN.test(upper)) throw new InvalidInputError('code must be a 4-character room code');
  return upper;
}
