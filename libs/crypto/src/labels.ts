/** Every domain-separation label of protocol v1 (docs/protocol.md), in one place. */
export const V1 = {
  prefix: 'conclave/v1',
  passwordSalt: 'conclave/v1/',
  authInfo: 'conclave/v1/auth',
  wrapInfo: 'conclave/v1/wrap',
  backupAad: 'conclave/v1/backup|',
  contactsAad: 'conclave/v1/contacts|',
  keyBox: 'conclave/v1/keybox',
  messageAad: 'conclave/v1/msg|',
  fileAad: 'conclave/v1/file|',
  // Membership v2 (docs/protocol.md, "Membership"): each signed, MACed or derived value has its own label.
  memberKeys: 'conclave/v1/keys',
  genesis: 'conclave/v1/room',
  admission: 'conclave/v1/admit',
  epochCommit: 'conclave/v1/epoch-commit',
  epochAnnouncement: 'conclave/v1/epoch',
  inviteIdInfo: 'conclave/v1/invite-id',
  inviteVerifierInfo: 'conclave/v1/invite',
  roomPasswordSalt: 'conclave/v1/room|',
  roomJoinInfo: 'conclave/v1/room-join',
  roomAdmitInfo: 'conclave/v1/room-admit',
  verifierAad: 'conclave/v1/verifier',
  joinProof: 'conclave/v1/join',
  pbkdf2Iterations: 600_000,
  fingerprintIterations: 5200,
  fingerprintVersion: 1,
} as const;

export const RSA_BITS = 4096;
export const IV_BYTES = 12;
