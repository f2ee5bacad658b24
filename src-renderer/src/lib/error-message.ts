// What to show a person for a failed call: the server's own message, which names what was wrong.
import { ApiError } from '../../../src-shared/errors';

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'conflict';
}
