import { describe, expect, it } from 'vitest';
import { apiContract, eventContract } from './api';
import { API_EVENTS, API_METHODS } from './api-methods';
import { ApiError, decodeApiError, encodeApiError } from './errors';

describe('API contract', () => {
  it('has a schema for exactly the methods and events the preload exposes', () => {
    expect(Object.keys(apiContract).sort()).toEqual([...API_METHODS].sort());
    expect(Object.keys(eventContract).sort()).toEqual([...API_EVENTS].sort());
  });

  it('defaults optional rating fields', () => {
    const parsed = apiContract.submitRating.input.parse({
      annotatorId: 1,
      pairId: 2,
      leftCandidateId: 3,
      choice: 'skip',
      timeSpentMs: 0,
    });
    expect(parsed).toMatchObject({ strength: null, note: null });
  });

  it('round-trips an error code through the message Electron keeps, wrapped as ipcRenderer wraps it', () => {
    const encoded = encodeApiError(new ApiError('conflict', 'pair 3 is already rated'));
    const wrapped = `Error invoking remote method 'api:submitRating': Error: ${encoded}`;
    for (const message of [encoded, wrapped]) {
      const decoded = decodeApiError(message);
      expect([decoded.code, decoded.message]).toEqual(['conflict', 'pair 3 is already rated']);
    }
    expect(decodeApiError('boom').code).toBe('internal');
  });
});
