/**
 * @module Maps every error to the REST error body `{ error: { code, message, details? } }`.
 * The client sees the message of every known error (502/503 say what failed: ffmpeg missing, the
 * disk full); 500s are logged with context and shown generically.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AtriumError, ErrorCode, type ErrorBody } from '@atrium/protocol';

/** Fastify's own error codes, by what they mean to a client. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.VALIDATION_FAILED,
  FST_ERR_NOT_FOUND: ErrorCode.NOT_FOUND,
  FST_ERR_MAX_PARAM_LENGTH: ErrorCode.VALIDATION_FAILED,
  FST_ERR_BAD_URL: ErrorCode.VALIDATION_FAILED,
};

export function toAtriumError(error: unknown): AtriumError | undefined {
  if (error instanceof AtriumError) return error;
  const fastifyError = error as Partial<FastifyError> | undefined;
  const mapped = fastifyError?.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) return new AtriumError(mapped, fastifyError?.message ?? mapped);
  if (error instanceof SyntaxError && fastifyError?.statusCode === 400) {
    return new AtriumError(ErrorCode.MALFORMED_JSON, `the body is not valid JSON: ${error.message}`);
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AtriumError(ErrorCode.VALIDATION_FAILED, fastifyError?.message ?? 'bad request');
  }
  return undefined;
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const known = toAtriumError(error);
  if (known && known.status < 500) {
    const body: ErrorBody = { error: { code: known.code, message: known.message } };
    if (known.details !== undefined) body.error.details = known.details;
    void reply.status(known.status).send(body);
    return;
  }
  request.log.error({ err: error, url: request.url, method: request.method }, 'request failed');
  const status = known?.status ?? 500;
  const body: ErrorBody = {
    error: { code: known?.code ?? ErrorCode.INTERNAL, message: status !== 500 && known ? known.message : 'internal server error' },
  };
  void reply.status(status).send(body);
}
