/** A retriable coordinator error (or a lost connection to it): find the coordinator again and retry. */
export const COORDINATOR_ERRORS: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'timeout', 'disconnected']);
