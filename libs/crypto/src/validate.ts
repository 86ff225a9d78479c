import { InvalidInputError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids go into '|'-separated AADs and signed fields: non-empty, at most 64 characters, no '|'. */
export function checkId(id: unknown, field: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64 || id.includes('|')) {
    throw new InvalidInputError(`${field} must be 1-64 characters without '|'`);
  }
  return id;
}

export function checkEpoch(epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) throw new InvalidInputError('epoch must be a positive integer');
  return epoch;
}

export function checkUuid(id: unknown, field: string): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new InvalidInputError(`${field} must be a UUID`);
  return id;
}
