// The one place where a call from any transport meets the services: method name checked, input validated
// against the contract (errors name the fields; no string may hold a NUL or an unpaired surrogate), output
// checked, store errors mapped to API errors.
import { apiContract, describeIssues, type ApiHandlers } from '../../src-shared/api';
import { isApiMethod, type ApiMethod } from '../../src-shared/api-methods';
import { ApiError } from '../../src-shared/errors';
import { findBadString } from '../../src-shared/text-checks';
import { ConflictError, NotFoundError } from '../store/errors';

export interface HandlerRegistry {
  call(method: string, input: unknown): Promise<unknown>;
}

/** Turns anything thrown below the transport into an ApiError a person can read. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConflictError) return new ApiError('conflict', error.message);
  if (error instanceof NotFoundError) return new ApiError('not_found', error.message);
  console.error(error);
  return new ApiError('internal', error instanceof Error ? error.message : String(error));
}

export function createHandlerRegistry(handlers: ApiHandlers): HandlerRegistry {
  async function invoke<M extends ApiMethod>(method: M, rawInput: unknown): Promise<unknown> {
    const contract = apiContract[method];
    const parsed = contract.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      throw new ApiError('invalid_input', `${method}: ${describeIssues(parsed.error)}`);
    }
    // SQLite would store such a string as bytes no UTF-8 reader accepts (and TextEncoder makes U+FFFD).
    const badString = findBadString(parsed.data);
    if (badString) throw new ApiError('invalid_input', `${method}: ${badString}`);
    const handler = handlers[method] as (input: unknown) => unknown;
    const output = await handler(parsed.data);
    const checked = contract.output.safeParse(output);
    if (!checked.success) {
      throw new ApiError(
        'internal',
        `${method} returned a malformed result: ${describeIssues(checked.error)}`,
      );
    }
    return checked.data;
  }

  return {
    async call(method, input) {
      if (!isApiMethod(method)) throw new ApiError('not_found', `unknown API method "${method}"`);
      try {
        return await invoke(method, input);
      } catch (error) {
        throw toApiError(error);
      }
    },
  };
}
