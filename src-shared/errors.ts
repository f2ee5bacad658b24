// Errors that cross the API boundary: a code the UI can branch on and a message a person can act on.

export type ApiErrorCode =
  'invalid_input' | 'not_found' | 'conflict' | 'bad_file' | 'forbidden' | 'unavailable' | 'internal';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Electron's IPC keeps only an error's message, so the code travels in it as a `[code] ` prefix. */
export function encodeApiError(error: ApiError): string {
  return `[${error.code}] ${error.message}`;
}

export function decodeApiError(message: string): ApiError {
  const match = /^(?:Error invoking remote method '[^']*': (?:Error: )?)?\[([a-z_]+)\] ([\s\S]*)$/.exec(
    message,
  );
  if (match && match[1] && match[2] !== undefined) return new ApiError(match[1] as ApiErrorCode, match[2]);
  return new ApiError('internal', message);
}
