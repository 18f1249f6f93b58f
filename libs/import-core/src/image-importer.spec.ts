import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dockerSaveMembers, ociLayoutMembers, tarArchive, TarMember } from '@wharf/testing';
import { archiveLimits } from './archive-scan';
import { ImageImporter } from './image-importer';
import { parallelGzip } from './parallel-gzip';
import type { ImagePusher, StoredBlob } from './ports';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MiB = 1024 * 1024;

/** A registry in memory: what an import stored, as a client pulling it would see it. */
class MemoryRegistry implements ImagePusher {
  readonly blobs = new Map<string, Buffer>();
  readonly links = new Set<string>();
  readonly manifests = new Map<string, { mediaType: string; body: Buffer }>();
  readonly tags = new Map<string, string>();
  calls = 0;
  denied = new Set<string>();

  async checkPush(repository: string): Promise<string | null> {
    return this.denied.has(repository) ? `tester may not push to ${repository}` : null;
  }
  async uploadBlob(repository: string, body: Readable, expected: StoredBlob | null): Promise<StoredBlob> {
    this.calls++;
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    if (expected && (sha256(bytes) !== expected.digest || bytes.length !== expected.size)) throw new Error('digest mismatch');
    this.blobs.set(sha256(bytes), bytes);
    this.links.add(`${repository}@${sha256(bytes)}`);
    return { digest: sha256(bytes), size: bytes.length };
  }
  async mountBlob(repository: string, digest: string): Promise<void> {
    this.calls++;
    this.links.add(`${repository}@${digest}`);
  }
  async putManifest(repository: string, tag: string | null, mediaType: string, body: Buffer): Promise<string> {
    this.calls++;
    this.manifests.set(sha256(body), { mediaType, body });
    if (tag) this.tags.set(`${repository}:${tag}`, sha256(body));
    return sha256(body);
  }
  manifestOf(ref: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse((this.manifests.get(this.tags.get(ref) as string) as { body: Buffer }).body.toString());
  }
}

const twoImages = () =>
  dockerSaveMembers([
    { repoTags: ['registry.example:5000/team/app:1.0', 'app:latest'], layers: [{ 'bin/x': 'base layer' }, { 'etc/app.conf': 'app layer' }] },
    { repoTags: ['tools:v2'], layers: [{ 'bin/x': 'base layer' }] },
  ]);

async function importArchive(archive: Buffer, registry = new MemoryRegistry(), limits = archiveLimits(64 * MiB)) {
  const open = async (range?: { offset: number; length: number }) => Readable.from([range ? archive.subarray(range.offset, range.offset + range.length) : archive]);
  const images = await new ImageImporter(limits).run(open, 'myorg', registry);
  return { images, registry };
}

async function refusal(archive: Buffer, limits = archiveLimits(64 * MiB)): Promise<string> {
  const registry = new MemoryRegistry();
  const err = await importArchive(archive, registry, limits).then(
    () => new Error('imported'),
    (e: Error) => e,
  );
  expect(registry.calls).toBe(0); // nothing stored, nothing linked, nothing tagged
  return err.message;
}

describe('ImageImporter: docker save archives', () => {
  it('imports every image under the last path component of its names, layers gzipped, image IDs kept', async () => {
    const { members, imageIds } = twoImages();
    const { images, registry } = await importArchive(tarArchive(members));
    expect(images.map((i) => [i.repository, i.tags])).toEqual([
      ['myorg/app', ['1.0', 'latest']],
      ['myorg/tools', ['v2']],
    ]);
    const m = registry.manifestOf('myorg/app:1.0');
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.config).toMatchObject({ mediaType: 'application/vnd.docker.container.image.v1+json', digest: imageIds[0] });
    const config = JSON.parse((registry.blobs.get(m.config.digest) as Buffer).toString());
    m.layers.forEach((l: { mediaType: string; digest: string }, i: number) => {
      expect(l.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
      expect(sha256(gunzipSync(registry.blobs.get(l.digest) as Buffer))).toBe(config.rootfs.diff_ids[i]);
    });
    expect(registry.tags.get('myorg/app:latest')).toBe(registry.tags.get('myorg/app:1.0'));
    expect(registry.manifestOf('myorg/tools:v2').config.digest).toBe(imageIds[1]);
    // The shared base layer is stored once and linked into both repositories.
    const base = m.layers[0].digest as string;
    expect([...registry.links].filter((l) => l.endsWith(base)).sort()).toEqual([`myorg/app@${base}`, `myorg/tools@${base}`]);
  });

  it('imports a .tar.gz the same, and follows the symlinks docker save writes for repeated layers', async () => {
    const { members } = twoImages();
    const layer = members.find((m) => m.name.endsWith('layer.tar')) as TarMember;
    const linked = members;
    const tools = linked.filter((m) => m.name.endsWith('layer.tar'))[2] as TarMember;
    Object.assign(tools, { type: 'symlink', linkname: `../${layer.name}`, content: undefined });
    const plain = await importArchive(tarArchive(twoImages().members));
    const { registry } = await importArchive(gzipSync(tarArchive(linked)));
    expect(registry.tags).toEqual(plain.registry.tags);
  });

  it('a user without push permission on a repository gets nothing imported', async () => {
    const registry = new MemoryRegistry();
    registry.denied.add('myorg/tools');
    await expect(importArchive(tarArchive(twoImages().members), registry)).rejects.toThrow('invalid image format: tester may not push to myorg/tools');
    expect(registry.calls).toBe(0);
  });
});

describe('ImageImporter: OCI image layouts', () => {
  it('stores manifests whose layers are compressed byte for byte', async () => {
    const { members, imageIds } = ociLayoutMembers([{ refName: 'team/app:v3', repoTags: [], layers: [{ a: '1' }, { b: '2' }] }]);
    const index = JSON.parse(String(members.find((m) => m.name === 'index.json')?.content));
    const { images, registry } = await importArchive(tarArchive(members));
    expect(images).toEqual([{ repository: 'myorg/app', tags: ['v3'], digest: index.manifests[0].digest }]);
    expect(registry.manifestOf('myorg/app:v3').config.digest).toBe(imageIds[0]);
  });

  it('refuses an entry named only by its tag, saying how to name it', async () => {
    const { members } = ociLayoutMembers([{ refName: 'v3', repoTags: [], layers: [{ a: '1' }] }]);
    expect(await refusal(tarArchive(members))).toBe(
      'invalid image format: entry 1 of index.json names only the tag "v3", not the image (annotation org.opencontainers.image.ref.name); name it like app:v3',
    );
  });
});

describe('ImageImporter: hostile and broken archives store nothing', () => {
  const base = () => twoImages().members;
  const withMember = (extra: TarMember) => tarArchive([extra, ...base()]);

  it.each([
    ['a ../ path', withMember({ name: '../evil', content: 'x' }), 'invalid image format: entry "../evil" escapes the archive (it contains "..")'],
    ['an absolute path', withMember({ name: '/etc/cron.d/evil', content: 'x' }), 'invalid image format: entry "/etc/cron.d/evil" has an absolute path'],
    ['a symlink out', withMember({ name: 'link', type: 'symlink', linkname: '../../etc/passwd' }), 'invalid image format: symlink "link" points outside the archive ("../../etc/passwd")'],
    ['an absolute symlink', withMember({ name: 'link', type: 'symlink', linkname: '/etc/passwd' }), 'invalid image format: symlink "link" points outside the archive ("/etc/passwd")'],
    ['a hard link out', withMember({ name: 'hl', type: 'hardlink', linkname: '../secret' }), 'invalid image format: hard link "hl" points outside the archive ("../secret")'],
    ['a fifo', withMember({ name: 'pipe', type: 'fifo' }), 'invalid image format: entry "pipe" is not a file, directory or link (tar type "6")'],
    ['a duplicate entry', tarArchive([...base(), { name: 'manifest.json', content: '[]' }]), 'invalid image format: duplicate entry "manifest.json"'],
    ['not a tar', Buffer.from('PK\u0003\u0004 this is a zip file, not a tar archive'.padEnd(2048, '.')), 'invalid image format: not a tar archive'],
    ['an empty file', Buffer.alloc(0), 'invalid image format: not a tar archive (the file is empty)'],
  ])('%s', async (_what, archive, message) => {
    expect(await refusal(archive)).toBe(message);
  });

  it('a missing layer or config', async () => {
    const layerName = (base().find((x) => x.name.endsWith('layer.tar')) as TarMember).name;
    expect(await refusal(tarArchive(base().filter((m) => m.name !== layerName)))).toBe(
      `invalid image format: the layer ${layerName} of image 1 of manifest.json is missing from the archive`,
    );
    const configName = (base().find((m) => m.name.endsWith('.json') && m.name !== 'manifest.json') as TarMember).name;
    expect(await refusal(tarArchive(base().filter((m) => m.name !== configName)))).toBe(
      `invalid image format: the config ${configName} of image 1 of manifest.json is missing from the archive`,
    );
  });

  it('a layer whose content does not match the diff_id in the config', async () => {
    const members = base();
    const layer = members.find((m) => m.name.endsWith('layer.tar')) as TarMember;
    layer.content = tarArchive([{ name: 'bin/x', content: 'tampered layer' }]);
    expect(await refusal(tarArchive(members))).toMatch(
      new RegExp(`^invalid image format: layer ${layer.name} has diff_id sha256:[0-9a-f]{64}, but the image config says sha256:[0-9a-f]{64}$`),
    );
  });

  it('a manifest.json over 1 MiB', async () => {
    const members = base().map((m) => (m.name === 'manifest.json' ? { ...m, content: `${String(m.content)}${' '.repeat(MiB)}` } : m));
    expect(await refusal(tarArchive(members))).toMatch(/^invalid image format: manifest\.json is \d+ bytes; the limit is 1 MiB$/);
  });

  it('a name that breaks the naming rules', async () => {
    const members = dockerSaveMembers([{ repoTags: ['team/Bad_Name:1'], layers: [{ a: 'b' }] }]).members;
    expect(await refusal(tarArchive(members))).toMatch(/^invalid image format: image name "team\/Bad_Name:1" breaks the naming rules: repository name component "Bad_Name"/);
    const badTag = dockerSaveMembers([{ repoTags: ['app:-bad'], layers: [{ a: 'b' }] }]).members;
    expect(await refusal(tarArchive(badTag))).toMatch(/^invalid image format: image name "app:-bad" breaks the naming rules: tag "-bad" must match/);
  });

  it('a truncated tar and a truncated gzip', async () => {
    const tar = tarArchive(base());
    expect(await refusal(tar.subarray(0, 3000))).toMatch(/^invalid image format: the archive is truncated/);
    const gz = gzipSync(tar);
    expect(await refusal(gz.subarray(0, gz.length - 40))).toMatch(/^invalid image format: the archive is not valid gzip \(.*; truncated or corrupt\)$/);
  });

  it('a decompression bomb stops at the limit', async () => {
    const bomb = gzipSync(tarArchive([{ name: 'zeros', content: Buffer.alloc(20 * MiB) }, ...base()]));
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await refusal(bomb, archiveLimits(8 * MiB))).toBe('invalid image format: the archive holds more than 8 MiB after decompression (the limit)');
    const innerBomb = tarArchive([{ name: 'blobs/sha256/zeros', content: gzipSync(Buffer.alloc(40 * MiB)) }, ...base()]);
    expect(await refusal(innerBomb, archiveLimits(8 * MiB))).toBe(
      'invalid image format: the layers decompress to more than 32 MiB (the limit; a decompression bomb?) at blobs/sha256/zeros',
    );
  });
});

describe('parallelGzip', () => {
  const collect = async (input: Buffer[], blockSize: number) => {
    const out: Buffer[] = [];
    for await (const c of parallelGzip(Readable.from(input), { level: 1, blockSize, concurrency: 3 })) out.push(c);
    return Buffer.concat(out);
  };

  it.each([0, 1, 4096, 4096 * 3, 4096 * 3 + 17, 200_000])('round-trips %i bytes of mixed data through gunzip, the same bytes every time', async (size) => {
    const text = Buffer.from('layer text compresses well; '.repeat(Math.ceil(size / 28) + 1)).subarray(0, Math.floor(size / 2));
    const data = Buffer.concat([text, randomBytes(size - text.length)]);
    const chunks = [data.subarray(0, Math.floor(size / 3)), data.subarray(Math.floor(size / 3))];
    const gz = await collect(chunks, 4096);
    expect(gunzipSync(gz).equals(data)).toBe(true);
    expect((await collect([data], 4096)).equals(gz)).toBe(true);
  });

  it('compresses what compresses and stores what does not', async () => {
    const text = Buffer.from('x'.repeat(1024 * 1024));
    expect((await collect([text], 256 * 1024)).length).toBeLessThan(20 * 1024);
    const random = randomBytes(1024 * 1024);
    const stored = await collect([random], 256 * 1024);
    expect(stored.length).toBeLessThan(random.length * 1.01);
    expect(gunzipSync(stored).equals(random)).toBe(true);
  });
});

describe('ImageImporter: Docker 25+ saves (an OCI layout with manifest.json)', () => {
  it('imports through manifest.json, whose paths point into blobs/', async () => {
    const layer = tarArchive([{ name: 'etc/os-release', content: 'ID=wharf\n' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    const hex = (b: Buffer) => sha256(b).slice(7);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      }),
    );
    const archive = tarArchive([
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/', type: 'directory' },
      { name: `blobs/sha256/${hex(layer)}`, content: layer },
      { name: `blobs/sha256/${hex(config)}`, content: config },
      { name: `blobs/sha256/${hex(manifest)}`, content: manifest },
      { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/library/app:25', 'org.opencontainers.image.ref.name': '25' } }] }) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: `blobs/sha256/${hex(config)}`, RepoTags: ['app:25'], Layers: [`blobs/sha256/${hex(layer)}`] }]) },
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'repositories', content: '{}' },
    ]);
    const { images, registry } = await importArchive(archive);
    expect(images.map((i) => [i.repository, i.tags])).toEqual([['myorg/app', ['25']]]);
    const m = registry.manifestOf('myorg/app:25');
    expect(m.config.digest).toBe(sha256(config));
    expect(sha256(gunzipSync(registry.blobs.get(m.layers[0].digest) as Buffer))).toBe(sha256(layer));
  });
});
