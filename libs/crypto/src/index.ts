/**
 * The E2E protocol of shared/design/e2e.md on WebCrypto. The primitives land with the libs/crypto
 * issue; the version string is already part of every derivation label and AAD ("conclave/v1/...").
 */
export const PROTOCOL_VERSION = 'conclave/v1';
