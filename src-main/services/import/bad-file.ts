// The one error every importer raises: ApiError('bad_file') with the file and row in the message.
import { ApiError } from '../../../src-shared/errors';

export function badFile(where: string, problem: string): ApiError {
  return new ApiError('bad_file', `${where}: ${problem}`);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
