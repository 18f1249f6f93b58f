import { DomainError } from '@wharf/util';

/**
 * An archive that cannot be imported: not a tar, hostile or broken. Its message is what the
 * uploader sees as the file's error, `invalid image format: <reason>` (SPEC §6).
 */
export class InvalidImageFormat extends DomainError {
  constructor(reason: string) {
    super('INVALID_ARGUMENT', `invalid image format: ${reason}`);
    this.name = 'InvalidImageFormat';
  }
}
