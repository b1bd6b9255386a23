import { randomBytes, randomUUID } from 'node:crypto';

/** 32 lowercase hex characters, as MCollective and Choria request ids. */
export function newRequestId(): string {
  return randomUUID().replaceAll('-', '');
}

/** A short random suffix that keeps two client processes of one user apart. */
export function newSenderSuffix(): string {
  return randomBytes(4).toString('hex');
}
