import { OciError, serialiseError } from './oci-error';

describe('serialiseError', () => {
  it('writes the OCI envelope with the table status', () => {
    const e = serialiseError(new OciError('BLOB_UNKNOWN', 'blob sha256:x is not in repository a/b', { digest: 'sha256:x' }));
    expect(e.status).toBe(404);
    expect(JSON.parse(e.body)).toEqual({
      errors: [{ code: 'BLOB_UNKNOWN', message: 'blob sha256:x is not in repository a/b', detail: { digest: 'sha256:x' } }],
    });
  });

  it('uses the default message and carries extra headers', () => {
    const e = serialiseError(new OciError('RANGE_INVALID', undefined, undefined, { range: '0-9' }));
    expect(e.status).toBe(416);
    expect(e.headers['range']).toBe('0-9');
    expect(JSON.parse(e.body).errors[0].message).toBe('requested range not satisfiable');
  });

  it('hides unexpected errors behind a 500 INTERNAL_ERROR', () => {
    const e = serialiseError(new Error('database password is hunter2'));
    expect(e.status).toBe(500);
    expect(e.body).not.toContain('hunter2');
  });
});
