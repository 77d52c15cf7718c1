// The one error type of Retain. Its `code` is part of the public contract shared by the API, the CLI
// and the web app; the HTTP status for each code is decided here and nowhere else.

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_TOKEN: 400,
  BAD_REQUEST: 400,
  INVALID_FILTER: 400,
  INVALID_DATE: 400,
  PAYLOAD_TOO_LARGE: 413,
  /** Another process holds the store's write lock (SQLite) for longer than a request waits. */
  STORE_BUSY: 503,
  /** A command that reads a book was pointed at a SQLite file that does not exist. */
  STORE_NOT_FOUND: 404,
  /** The client's upload ended (connection closed) before the whole body arrived. */
  UPLOAD_INCOMPLETE: 400,
  /** A multipart/form-data upload with no file part, or with more than one. */
  UPLOAD_NO_FILE: 400,
  UPLOAD_MANY_FILES: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  SESSION_EXPIRED: 401,
  CSRF_TOKEN_INVALID: 403,
  FORBIDDEN: 403,
  LOGIN_THROTTLED: 429,
  /** A set-password link that is unknown, used or expired: which of them is not said. */
  PASSWORD_LINK_INVALID: 400,
  /** Too many set-password attempts from one client. */
  PASSWORD_LINK_THROTTLED: 429,
  /** A rules backtest asked for while another runs in the same process. */
  BACKTEST_RUNNING: 429,
  NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  CONTACT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  TEAM_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  RISK_CASE_NOT_FOUND: 404,
  RISK_STAGE_NOT_FOUND: 404,
  RISK_REASON_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  PLAY_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  NOTIFICATION_NOT_FOUND: 404,
  IMPORT_MAPPING_NOT_FOUND: 404,
  WORKLIST_VIEW_NOT_FOUND: 404,
  ACCOUNT_EXTERNAL_ID_TAKEN: 409,
  CONTACT_EMAIL_TAKEN: 409,
  USER_EMAIL_TAKEN: 409,
  TEAM_NAME_TAKEN: 409,
  WORKLIST_VIEW_NAME_TAKEN: 409,
  RISK_STAGE_KEY_TAKEN: 409,
  RISK_REASON_KEY_TAKEN: 409,
  SEGMENT_KEY_TAKEN: 409,
  PLAY_KEY_TAKEN: 409,
  TASK_ALREADY_DONE: 409,
  PRECONDITION_FAILED: 412,
  RISK_CASE_ALREADY_OPEN: 409,
  RISK_CASE_SAME_STAGE: 409,
  RISK_STAGE_IN_USE: 409,
  RISK_STAGE_RETIRED: 409,
  RISK_STAGE_LAST_IN_USE: 409,
  /** A stage order that is not every stage once, with the closed stages last. */
  RISK_STAGE_ORDER_INVALID: 400,
  /** The change would leave Retain with no active admin. */
  LAST_ADMIN: 409,
  /** An invitation for a user who has set a password already. */
  USER_ALREADY_SET_UP: 409,
  /** A link for a deactivated user. */
  USER_DEACTIVATED: 409,
  VERSION_CONFLICT: 409,
  IMPORT_INVALID: 422,
  /** A replayed backfill for accounts that already hold signals from the file's first day on. */
  REPLAY_HISTORY_EXISTS: 409,
  /** The file's bytes are not in the encoding the import was told (UTF-8 unless named). */
  IMPORT_ENCODING: 422,
  IMPORT_ENCODING_UNKNOWN: 400,
  /** A NUL character in an imported file. */
  IMPORT_NUL: 422,
  SIGNALS_INVALID: 422,
  DESTINATION_FORBIDDEN: 422,
  IMPORT_MAPPING_INVALID: 400,
  FILE_NOT_READABLE: 400,
  FILE_EXISTS: 409,
  BACKUP_INVALID: 422,
  UNSUPPORTED_FOR_STORE: 400,
  MODEL_COLUMN_UNKNOWN: 400,
  MODEL_LABEL_INVALID: 422,
  MODEL_LABEL_CONSTANT: 422,
  MODEL_TOO_FEW_ROWS: 422,
  MODEL_VALUE_INVALID: 422,
  MODEL_NOT_APPLICABLE: 422,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorDetails = Record<string, unknown>;

/** An expected failure with a stable code, a readable message and optional structured details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Narrows an unknown thrown value to an AppError with the given code. */
export function isAppError(value: unknown, code?: ErrorCode): value is AppError {
  return value instanceof AppError && (code === undefined || value.code === code);
}

/** The store was locked by another writer for longer than a request waits. */
export function storeBusy(): AppError {
  return new AppError(
    'STORE_BUSY',
    'The store is busy with another writer (an import from another process, say); try again shortly.',
    { retryAfterSeconds: 5 },
  );
}
