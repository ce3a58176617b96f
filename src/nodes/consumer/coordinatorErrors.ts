import type { RpcError } from '../../network/nodeHost.js';
import type { KafkaErrorCode } from '../errors.js';

/** A retriable coordinator error (or a lost connection to it): find the coordinator again and retry. */
export const COORDINATOR_ERRORS: ReadonlySet<KafkaErrorCode | RpcError> = new Set<KafkaErrorCode | RpcError>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'timeout', 'disconnected']);
