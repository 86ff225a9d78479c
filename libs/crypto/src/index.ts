/**
 * @conclave/crypto: the end-to-end encryption protocol (docs/protocol.md; labels "conclave/v1/…") on WebCrypto.
 * The same code runs in browsers (secure contexts) and in Node ≥ 20. See README.md for the wire formats.
 */
export const PROTOCOL_VERSION = 'conclave/v1';

export * from './errors.js';
export { isWebCryptoAvailable } from './webcrypto.js';
export { deriveAccountKeys, type AccountKeys } from './password.js';
export {
  generateIdentity,
  exportPublicKeys,
  importPublicKeys,
  sealKeyBackup,
  openKeyBackup,
  rewrapKeyBackup,
  type NewIdentity,
  type PrivateIdentity,
  type PublicIdentity,
} from './identity.js';
export { generateEpochKey, sealKeyBox, verifyKeyBox, openKeyBox, type SealKeyBoxInput, type OpenKeyBoxInput } from './keybox.js';
export { textContent, editContent, encryptMessage, decryptMessage, verifyMessageSignature, messageAad, type EncryptMessageInput, type DecryptMessageInput } from './message.js';
export { characterCount } from './content.js';
export { sniffFileType, checkFileType, fileNameMatchesType, encryptFile, decryptFile, checkFileCiphertext, type EncryptedFile, type FilePlace } from './file.js';
export { fingerprint, safetyNumber, formatSafetyNumber, type IdentityRef } from './fingerprint.js';
export { keysDigest, sealContactBook, openContactBook } from './contacts.js';
export {
  memberKeysDigest,
  signGenesis,
  verifyGenesis,
  signAdmission,
  verifyAdmission,
  type SignGenesisInput,
  type SignAdmissionInput,
} from './membership.js';
export { epochCommitment, announceEpoch, verifyEpochAnnouncement, keyMatchesCommitment, type AnnounceEpochInput } from './epoch.js';
export { admittedMembers, admissionChain, type AdmittedMember, type AdmittedMembersInput } from './admitted.js';
export { newInviteSecret, inviteIdFromSecret, inviteVerifier } from './invite.js';
export { deriveRoomPassword, type RoomPasswordKeys } from './room-password.js';
export { sealVerifier, openVerifier, joinProof, checkJoinProof, type SealVerifierInput, type OpenVerifierInput, type JoinProofInput } from './verifier.js';
export { checkTestVectors, type TestVectors } from './vectors.js';
