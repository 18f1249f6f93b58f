import { OciError } from '@wharf/oci-errors';
import { parseRegistryPath } from './route-parser';

describe('parseRegistryPath', () => {
  it.each([
    ['/v2/', { kind: 'ping' }],
    ['/v2', { kind: 'ping' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/demo/app/tags/list', { kind: 'tags', name: 'demo/app' }],
    ['/v2/demo/team/app/manifests/latest', { kind: 'manifest', name: 'demo/team/app', reference: 'latest' }],
    ['/v2/demo/manifests/manifests/v1', { kind: 'manifest', name: 'demo/manifests', reference: 'v1' }],
    ['/v2/demo/blobs/blobs/sha256:abc', { kind: 'blob', name: 'demo/blobs', digest: 'sha256:abc' }],
    ['/v2/demo/app/blobs/uploads/', { kind: 'upload-start', name: 'demo/app' }],
    ['/v2/demo/app/blobs/uploads', { kind: 'upload-start', name: 'demo/app' }],
    ['/v2/demo/app/blobs/uploads/1234', { kind: 'upload', name: 'demo/app', uploadId: '1234' }],
    ['/v2/demo/app/referrers/sha256:1', { kind: 'referrers', name: 'demo/app', digest: 'sha256:1' }],
  ])('parses %s', (path, route) => expect(parseRegistryPath(path)).toEqual(route));

  it.each(['/v3/', '/v2/demo/app', '/v2/demo/app/other/x', '/api/v1/x'])('returns null for %s', (path) => {
    expect(parseRegistryPath(path)).toBeNull();
  });

  it.each(['/v2/Demo/app/tags/list', '/v2/demo/../x/manifests/latest', '/v2/demo//app/blobs/uploads/', '/v2/app/tags/list'])(
    'throws NAME_INVALID for %s',
    (path) => {
      let err: unknown;
      try {
        parseRegistryPath(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OciError);
      expect((err as OciError).code).toBe('NAME_INVALID');
    },
  );
});
