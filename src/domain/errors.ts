/** Field errors in the seed's 400 shape: `{ field: [message, ...] }`, `non_field_errors` for cross-field rules. */
export type FieldErrors = Record<string, string[]>;

/** Errors are values with a kind; the API maps each kind to one HTTP status in one place. */
export class DomainError extends Error {
  constructor(
    readonly kind: 'validation' | 'not_found' | 'conflict' | 'too_large' | 'unauthorized',
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(readonly fields: FieldErrors) {
    super(
      'validation',
      Object.entries(fields)
        .map(([f, m]) => `${f}: ${m.join(' ')}`)
        .join('; '),
    );
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] });
  }
}

export class NotFound extends DomainError {
  constructor(message = 'Not found.') {
    super('not_found', message);
  }
}

export class Conflict extends DomainError {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super('conflict', message);
  }
}

export class PayloadTooLarge extends DomainError {
  constructor(message = 'Request body is too large.') {
    super('too_large', message);
  }
}

export class Unauthorized extends DomainError {
  constructor(message = 'Authentication credentials were not provided or are invalid.') {
    super('unauthorized', message);
  }
}

/** Collects field errors so a write reports every problem at once instead of the first. */
export class FieldErrorCollector {
  readonly #errors: FieldErrors = {};

  add(field: string, message: string): void {
    (this.#errors[field] ??= []).push(message);
  }

  /** A copy of what was collected, in the 400 body's shape. */
  get fields(): FieldErrors {
    return Object.fromEntries(Object.entries(this.#errors).map(([k, v]) => [k, [...v]]));
  }

  get empty(): boolean {
    return Object.keys(this.#errors).length === 0;
  }

  throwIfAny(): void {
    if (!this.empty) throw new ValidationError({ ...this.#errors });
  }
}
