import { type EditContent, LIMITS, type MessageContent, type MessageEnvelope, messageBounds, type TextContent } from '@conclave/contracts';
import { assertSendable, contentProblem } from './content.js';
import { DecryptionError, InvalidInputError, MalformedPlaintextError, MessageTooLongError, SignatureError } from './errors.js';
import { fromBase64, toBase64, utf8, utf8Decode } from './encoding.js';
import { IV_BYTES, V1 } from './labels.js';
import { checkEpoch, checkId, checkUuid } from './validate.js';
import { attempt, randomBytes, subtle } from './webcrypto.js';

const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A text message's content, stamped with the sender's clock. */
export function textContent(body: string, sentAt = Date.now()): TextContent {
  return { type: 'text', body, sentAt };
}

/** An edit of the sender's own text message `editOf` (docs/protocol.md §9b). */
export function editContent(editOf: number, body: string, sentAt = Date.now()): EditContent {
  return { type: 'edit', editOf, body, sentAt };
}

export interface EncryptMessageInput {
  roomId: string;
  senderId: string;
  epoch: number;
  epochKey: CryptoKey;
  /** The sender's private sig key. */
  senderSig: CryptoKey;
  content: MessageContent;
  /** Reuse the same id when resending the same message (idempotence); a new UUID otherwise. */
  clientMsgId?: string;
  /** The deployment's message limit in characters (LIMITS.messageBodyChars unless the server says otherwise). */
  maxChars?: number;
}

/** aad = "conclave/v1/msg|" + roomId + "|" + senderId + "|" + epoch + "|" + clientMsgId */
export function messageAad(roomId: string, senderId: string, epoch: number, clientMsgId: string): string {
  return `${V1.messageAad}${checkId(roomId, 'roomId')}|${checkId(senderId, 'senderId')}|${checkEpoch(epoch)}|${checkUuid(clientMsgId, 'clientMsgId')}`;
}

/**
 * Encrypts and signs one message: ct = AES-256-GCM(epochKey, iv, JSON(content), aad),
 * sig = ECDSA(sender.sig, aad + "|" + b64(iv) + "|" + b64(ct)).
 */
export async function encryptMessage(input: EncryptMessageInput): Promise<MessageEnvelope> {
  return encryptMessageWithIv(input, randomBytes(IV_BYTES));
}

/** @internal Deterministic core of encryptMessage, for the test vectors. Never reuse an IV. */
export async function encryptMessageWithIv(input: EncryptMessageInput, iv: Uint8Array<ArrayBuffer>): Promise<MessageEnvelope> {
  const maxChars = input.maxChars ?? LIMITS.messageBodyChars;
  assertSendable(input.content, maxChars);
  const problem = contentProblem(input.content);
  if (problem) throw new InvalidInputError(problem);
  const clientMsgId = input.clientMsgId ?? globalThis.crypto.randomUUID();
  const aad = messageAad(input.roomId, input.senderId, input.epoch, clientMsgId);
  const plaintext = utf8(JSON.stringify(input.content));
  const { plaintextBytes } = messageBounds(maxChars);
  if (plaintext.length > plaintextBytes) throw new MessageTooLongError(plaintext.length, plaintextBytes, 'bytes');

  const wc = subtle();
  const ct = toBase64(
    await attempt(
      () => wc.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(aad) }, input.epochKey, plaintext),
      (cause) => new InvalidInputError('epochKey cannot encrypt (an AES-GCM epoch key is needed)', { cause }),
    ),
  );
  const ivText = toBase64(iv);
  const sig = await attempt(
    () => wc.sign(ECDSA_SHA256, input.senderSig, utf8(`${aad}|${ivText}|${ct}`)),
    (cause) => new InvalidInputError('senderSig cannot sign (the sender’s private ECDSA key is needed)', { cause }),
  );
  return { roomId: input.roomId, epoch: input.epoch, clientMsgId, iv: ivText, ct, sig: toBase64(sig) };
}

export interface DecryptMessageInput {
  epochKey: CryptoKey;
  /** The public sig key of the sender the server names. */
  senderSig: CryptoKey;
}

/**
 * The signature half of decryptMessage, with no epoch key: whether `senderId`'s sig key signed this
 * envelope for its room, epoch and clientMsgId (SignatureError if not; InvalidInputError for a
 * malformed envelope). The server runs it on every message before storing it, so a forged, altered
 * or replayed envelope (another member's, or one moved to another room) is refused, not stored.
 */
export async function verifyMessageSignature(envelope: MessageEnvelope & { senderId: string }, senderSig: CryptoKey): Promise<void> {
  await checkSignature(envelope, parseEnvelope(envelope), senderSig);
}

/**
 * Verifies the sender's signature, then decrypts and checks the content. Anything altered, moved to
 * another room, epoch or sender, or replayed under another clientMsgId fails the signature
 * (SignatureError); a wrong epoch key fails decryption (DecryptionError); authentic nonsense from a
 * member is a MalformedPlaintextError.
 */
export async function decryptMessage(envelope: MessageEnvelope & { senderId: string }, input: DecryptMessageInput): Promise<MessageContent> {
  const parsed = parseEnvelope(envelope);
  await checkSignature(envelope, parsed, input.senderSig);
  const { aad, iv, ct } = parsed;
  const plaintext = await attempt(
    () => subtle().decrypt({ name: 'AES-GCM', iv, additionalData: utf8(aad) }, input.epochKey, ct),
    (cause) => new DecryptionError(`message ${envelope.clientMsgId} cannot be decrypted with this epoch key`, { cause }),
  );
  let content: unknown;
  try {
    content = JSON.parse(utf8Decode(new Uint8Array(plaintext)));
  } catch {
    throw new MalformedPlaintextError('message plaintext is not JSON');
  }
  const problem = contentProblem(content);
  if (problem) throw new MalformedPlaintextError(problem);
  return content as MessageContent;
}

interface ParsedEnvelope {
  aad: string;
  iv: Uint8Array<ArrayBuffer>;
  ct: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

function parseEnvelope(envelope: MessageEnvelope & { senderId: string }): ParsedEnvelope {
  const aad = messageAad(envelope?.roomId, envelope?.senderId, envelope?.epoch, envelope?.clientMsgId);
  const iv = fromBase64(envelope.iv, 'iv');
  if (iv.length !== IV_BYTES) throw new InvalidInputError(`iv must be ${IV_BYTES} bytes`);
  const ct = fromBase64(envelope.ct, 'ct');
  // The protocol's bound: a deployment's own limit is the sender's and the server's check.
  const { ciphertextBytes } = messageBounds(LIMITS.messageBodyCharsMax);
  if (ct.length > ciphertextBytes) throw new InvalidInputError(`ct is longer than ${ciphertextBytes} bytes`);
  return { aad, iv, ct, signature: fromBase64(envelope.sig, 'sig') };
}

/** sig = ECDSA(sender.sig, aad + "|" + b64(iv) + "|" + b64(ct)), over the texts as sent. */
async function checkSignature(envelope: MessageEnvelope & { senderId: string }, { aad, signature }: ParsedEnvelope, senderSig: CryptoKey): Promise<void> {
  const valid = await attempt(
    () => subtle().verify(ECDSA_SHA256, senderSig, signature, utf8(`${aad}|${envelope.iv}|${envelope.ct}`)),
    () => new SignatureError('message signature is unusable'),
  );
  if (!valid) throw new SignatureError(`message ${envelope.clientMsgId} is not signed by ${envelope.senderId} for this room and epoch`);
}
