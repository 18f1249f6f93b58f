import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { storeErrorAsOci } from '@wharf/database';
import { OciError, serialiseError } from '@wharf/oci-errors';

/** Token endpoint errors in the Docker/OCI envelope, which docker, podman and containerd print. */
@Catch()
export class DockerErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const known = storeErrorAsOci(err) ?? err;
    const e = serialiseError(known instanceof HttpException ? new OciError(known.getStatus() === 401 ? 'UNAUTHORIZED' : 'DENIED', known.message) : known);
    res.status(e.status).set(e.headers).send(e.body);
  }
}

