/** Every domain-separation label of protocol v1 (shared/design/e2e.md), in one place. */
export const V1 = {
  prefix: 'conclave/v1',
  passwordSalt: 'conclave/v1/',
  authInfo: 'conclave/v1/auth',
  wrapInfo: 'conclave/v1/wrap',
  backupAad: 'conclave/v1/backup|',
  contactsAad: 'conclave/v1/contacts|',
  keyBox: 'conclave/v1/keybox',
  messageAad: 'conclave/v1/msg|',
  fileAad: 'conclave/v1/file',
  pbkdf2Iterations: 600_000,
  fingerprintIterations: 5200,
  fingerprintVersion: 1,
} as const;

export const RSA_BITS = 4096;
export const IV_BYTES = 12;
