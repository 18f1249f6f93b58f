import { ArgumentMetadata, ValidationPipe, ValidationError as ClassValidationError } from '@nestjs/common';
import { ValidationError } from '@wharf/util';

/** The first failed constraint, depth first, as `{field, message}` (nested fields as `a.b`). */
function firstProblem(errors: ClassValidationError[], prefix = ''): { field: string; message: string } {
  const e = errors[0];
  if (!e) return { field: 'body', message: 'request body is not valid' };
  const field = e.property ? `${prefix}${e.property}` : 'body';
  const constraints = e.constraints ?? {};
  if (constraints['whitelistValidation']) return { field, message: `unknown field "${field}"` };
  if (constraints['unknownValue']) return { field: 'body', message: 'request body must be a JSON object' };
  const message = Object.values(constraints)[0];
  if (message) return { field, message };
  return firstProblem(e.children ?? [], `${field}.`);
}

/** A body DTO is an object: an array (valid JSON) is refused as a whole, not element by element; no body is `{}`. */
class ObjectBodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' || !this.toValidate(metadata)) return super.transform(value, metadata);
    // No body at all (Express leaves it undefined) is an empty object: optional fields only.
    if (value === undefined || value === '') return super.transform({}, metadata);
    if (Array.isArray(value) || typeof value !== 'object' || value === null) throw new ValidationError('body', 'request body must be a JSON object');
    return super.transform(value, metadata);
  }
}

/**
 * The one validation pipe of the management API: request bodies are DTO classes checked with
 * class-validator; unknown fields are refused; the first problem becomes a 400
 * `INVALID_ARGUMENT` naming the field.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ObjectBodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const { field, message } = firstProblem(errors);
      return new ValidationError(field, message);
    },
  });
}
