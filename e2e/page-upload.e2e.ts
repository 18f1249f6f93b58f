import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dockerSaveMembers, requireService, tarArchive, TarMember } from '@wharf/testing';
import { busyboxRootfsTar, hasCommand, run, runAsync } from './support/commands';
import { adminApi, GcServer, startGcServer, verifyPull } from './support/gc-server';
import { writeMultiPlatformLayout } from './support/oci-layout';
import { uniqueOrg } from './support/test-registry';
import { auditActions, registryRows, streamingUpload, uploadAndWait, uploadFiles, UploadView, waitForUpload } from './support/upload-client';

/**
 * Page upload (SPEC §6, issue #14) as a console user does it: `docker save` and OCI archives
 * through `POST /api/v1/uploads`, imported by the builder worker, pulled back with docker. Single-
 * machine mode on a database and Redis index of its own (its worker must take these jobs), with a
 * 64 MiB file limit so that the limits can be crossed quickly.
 */
const suiteDatabase = requireService('WHARF_TEST_DATABASE_URL', 'Postgres');
const suiteRedis = requireService('WHARF_TEST_REDIS_URL', 'Redis');
const dockerHost = requireService('WHARF_TEST_DOCKER_HOST', 'dockerd');
const skopeo = hasCommand('skopeo') ? 'skopeo' : requireService('WHARF_TEST_SKOPEO', 'skopeo (apt-get install skopeo)');

const MiB = 1024 * 1024;
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const json = async (res: Response | Promise<Response>) => (await res).json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
const tar = (members: TarMember[]) => tarArchive(members);

(suiteDatabase && suiteRedis ? describe : describe.skip)('page upload through the API', () => {
  let s: GcServer;
  let work: string;
  const org = uniqueOrg('up');
  beforeAll(async () => {
    work = mkdtempSync(join(process.env['WHARF_TEST_WORKDIR'] ?? '/tmp', 'upload-'));
    s = await startGcServer({
      suiteDatabaseUrl: suiteDatabase as string,
      suiteRedisUrl: suiteRedis as string,
      redisDb: 15,
      graceSeconds: 3600,
      prefix: 'upload',
      env: { WHARF_UPLOAD_MAX_FILE_BYTES: String(64 * MiB) },
    });
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: org }) })).status).toBe(201);
  }, 120_000);
  afterAll(() => s?.close());

  (dockerHost ? it : it.skip)(
    'docker save → upload as .tar and .tar.gz → docker rmi → docker pull gives the same image IDs, and the containers run',
    async () => {
      const env = { DOCKER_HOST: dockerHost as string, DOCKER_CONFIG: join(work, 'docker-config'), DOCKER_BUILDKIT: '0' };
      const docker = (...args: string[]) => runAsync('docker', args, { env, timeoutMs: 120_000 });
      const base = `wharf-upload-base:${org}`;
      await docker('import', busyboxRootfsTar(work), base);
      const built: Record<string, string> = {};
      for (const name of ['one', 'two']) {
        const ctx = mkdtempSync(join(work, `ctx-${name}-`));
        writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo ${name} > /first.txt\nRUN echo layer-two > /second.txt\nCMD ["cat", "/first.txt"]\n`);
        await docker('build', '--network', 'none', '-q', '-t', `example.com/team/app-${name}:v1`, ctx);
        built[name] = (await docker('inspect', '-f', '{{.Id}}', `example.com/team/app-${name}:v1`)).stdout.trim();
      }
      await docker('save', '-o', join(work, 'one.tar'), 'example.com/team/app-one:v1');
      await docker('save', '-o', join(work, 'two.tar'), 'example.com/team/app-two:v1');
      const files = [
        { name: 'one.tar', content: readFileSync(join(work, 'one.tar')) },
        { name: 'two.tar.gz', content: gzipSync(readFileSync(join(work, 'two.tar'))) },
      ];
      const done = await uploadAndWait(s, org, files);
      expect(done.map((u) => [u.fileName, u.status, u.error])).toEqual([
        ['one.tar', 'succeeded', null],
        ['two.tar.gz', 'succeeded', null],
      ]);
      expect(done.map((u) => u.images.map((i) => [i.repository, i.tags]))).toEqual([[[`${org}/app-one`, ['v1']]], [[`${org}/app-two`, ['v1']]]]);
      await docker('rmi', '-f', base, 'example.com/team/app-one:v1', 'example.com/team/app-two:v1');
      for (const name of ['one', 'two']) {
        const ref = `${s.srv.host}/${org}/app-${name}:v1`;
        await docker('pull', ref);
        expect((await docker('inspect', '-f', '{{.Id}}', ref)).stdout.trim()).toBe(built[name]);
        expect((await docker('run', '--rm', '--network', 'none', ref)).stdout).toBe(`${name}\n`);
        await docker('rmi', '-f', ref);
      }
      // Layers are stored gzipped, as a docker push stores them.
      const manifest = await json(fetch(`${s.srv.url}/v2/${org}/app-one/manifests/v1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }));
      expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(Array(3).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'));
    },
    240_000,
  );

  (skopeo ? it : it.skip)('an OCI archive from skopeo copy … oci-archive:, and a two-platform index', async () => {
    const { members, imageIds } = dockerSaveMembers([{ repoTags: ['source/app:v1'], layers: [{ 'etc/a': 'a' }, { 'etc/b': 'b' }] }]);
    writeFileSync(join(work, 'src.tar'), tar(members));
    run('skopeo', ['copy', '-q', `docker-archive:${join(work, 'src.tar')}`, `oci-archive:${join(work, 'oci.tar')}:team/fromskopeo:v2`]);
    const layout = join(work, 'multi');
    writeMultiPlatformLayout(layout, 'multi:v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    run('tar', ['-C', layout, '-cf', join(work, 'multi.tar'), '.']);
    const done = await uploadAndWait(s, org, [
      { name: 'oci.tar', content: readFileSync(join(work, 'oci.tar')) },
      { name: 'multi.tar', content: readFileSync(join(work, 'multi.tar')) },
    ]);
    expect(done.map((u) => [u.status, u.error])).toEqual([
      ['succeeded', null],
      ['succeeded', null],
    ]);
    // skopeo's OCI manifest is kept byte for byte (its layers are gzip): the image ID is the source's.
    const ociIndex = JSON.parse(run('tar', ['-xOf', join(work, 'oci.tar'), 'index.json']).stdout);
    expect(done[0]?.images).toEqual([{ repository: `${org}/fromskopeo`, tags: ['v2'], digest: ociIndex.manifests[0].digest }]);
    const inspected = JSON.parse(run('skopeo', ['inspect', '--tls-verify=false', `docker://${s.srv.host}/${org}/fromskopeo:v2`]).stdout);
    expect(inspected.Digest).toBe(ociIndex.manifests[0].digest);
    expect(JSON.parse(run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${s.srv.host}/${org}/fromskopeo:v2`]).stdout).rootfs.diff_ids).toHaveLength(2);
    expect(sha256(run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${s.srv.host}/${org}/fromskopeo:v2`]).stdout)).toBe(imageIds[0]);
    // The index's platforms are all there; its uncompressed layers were gzipped and still match their diff_ids.
    const index = await json(fetch(`${s.srv.url}/v2/${org}/multi/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } }));
    expect(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    for (const m of index.manifests as { digest: string }[]) {
      const child = await json(fetch(`${s.srv.url}/v2/${org}/multi/manifests/${m.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } }));
      const config = await json(fetch(`${s.srv.url}/v2/${org}/multi/blobs/${child.config.digest}`));
      const layer = Buffer.from(await (await fetch(`${s.srv.url}/v2/${org}/multi/blobs/${child.layers[0].digest}`)).arrayBuffer());
      expect(child.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      expect(sha256(gunzipSync(layer))).toBe(config.rootfs.diff_ids[0]);
    }
    expect(await verifyPull(s.srv.url, `${org}/multi`, 'v1')).toEqual([]);
  }, 120_000);

  it('ten files in one request are imported one after another; an eleventh file is refused with 413', async () => {
    const files = Array.from({ length: 10 }, (_, i) => ({
      name: `img${i}.tar`,
      content: tar(dockerSaveMembers([{ repoTags: [`ten:t${i}`], layers: [{ [`f${i}`]: `file ${i}` }] }]).members),
    }));
    const done = await uploadAndWait(s, org, files);
    expect(done.map((u) => u.status)).toEqual(Array(10).fill('succeeded'));
    expect(done.map((u) => u.images[0]?.tags[0])).toEqual(files.map((_, i) => `t${i}`));
    for (let i = 1; i < done.length; i++) expect(Date.parse((done[i] as UploadView).startedAt as string)).toBeGreaterThanOrEqual(Date.parse((done[i - 1] as UploadView).finishedAt as string));
    const tags = await json(fetch(`${s.srv.url}/v2/${org}/ten/tags/list`));
    expect(tags.tags).toEqual(files.map((_, i) => `t${i}`).sort());

    const eleven = [...files, { name: 'extra.tar', content: files[0]?.content as Buffer }];
    const res = await uploadFiles(s, org, eleven);
    expect(res.status).toBe(413);
    expect((await json(res)).error).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'at most 10 files may be uploaded at once', field: 'files' });
  }, 120_000);

  it('a file over the limit is refused with 413 before the rest of it is read, and nothing of it is kept', async () => {
    const before = Number((await s.db.query(`SELECT count(*) FROM imports`)).rows[0].count);
    const res = await streamingUpload(s, org, 'huge.tar', 1024 * MiB);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.message).toBe('file "huge.tar" is over the limit of 64 MiB');
    expect(res.sent).toBeLessThan(512 * MiB); // the answer came long before the 1 GiB was sent
    const rows = await s.db.query(`SELECT status, error FROM imports ORDER BY created_at DESC LIMIT 1`);
    expect(Number((await s.db.query(`SELECT count(*) FROM imports`)).rows[0].count)).toBe(before + 1);
    expect(rows.rows[0]).toEqual({ status: 'failed', error: expect.stringContaining('over the limit') });
    expect(await s.storage.list('/imports').catch(() => [])).toEqual([]);
  }, 120_000);

  it('hostile or broken archives fail with "invalid image format: …" and create no repository, tag or blob link', async () => {
    const hostileOrg = uniqueOrg('hostile');
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: hostileOrg }) })).status).toBe(201);
    const good = () => dockerSaveMembers([{ repoTags: ['victim:v1'], layers: [{ a: 'a' }, { b: 'b' }] }]).members;
    const layerOf = (m: TarMember[]) => m.find((x) => x.name.endsWith('layer.tar')) as TarMember;
    const without = (name: string) => good().filter((m) => m.name !== name);
    const tampered = good();
    layerOf(tampered).content = tarArchive([{ name: 'a', content: 'evil' }]);
    const layerName = layerOf(good()).name;
    const configName = (good().find((m) => m.name.endsWith('.json') && m.name !== 'manifest.json') as TarMember).name;
    const gz = gzipSync(tar(good()));
    const cases: [string, Buffer, string | RegExp][] = [
      ['dotdot.tar', tar([{ name: '../../etc/evil', content: 'x' }, ...good()]), 'invalid image format: entry "../../etc/evil" escapes the archive (it contains "..")'],
      ['absolute.tar', tar([{ name: '/etc/evil', content: 'x' }, ...good()]), 'invalid image format: entry "/etc/evil" has an absolute path'],
      ['symlink.tar', tar([{ name: 'out', type: 'symlink', linkname: '../../../etc/shadow' }, ...good()]), 'invalid image format: symlink "out" points outside the archive ("../../../etc/shadow")'],
      ['hardlink.tar', tar([{ name: 'out', type: 'hardlink', linkname: '/etc/shadow' }, ...good()]), 'invalid image format: hard link "out" points outside the archive ("/etc/shadow")'],
      ['duplicate.tar', tar([...good(), { name: 'manifest.json', content: '[]' }]), 'invalid image format: duplicate entry "manifest.json"'],
      ['nolayer.tar', tar(without(layerName)), `invalid image format: the layer ${layerName} of image 1 of manifest.json is missing from the archive`],
      ['noconfig.tar', tar(without(configName)), `invalid image format: the config ${configName} of image 1 of manifest.json is missing from the archive`],
      ['diffid.tar', tar(tampered), /^invalid image format: layer [0-9a-f]{64}\/layer\.tar has diff_id sha256:[0-9a-f]{64}, but the image config says sha256:[0-9a-f]{64}$/],
      ['bigmanifest.tar', tar(good().map((m) => (m.name === 'manifest.json' ? { ...m, content: `${String(m.content)}${' '.repeat(MiB)}` } : m))), /^invalid image format: manifest\.json is \d+ bytes; the limit is 1 MiB$/],
      ['badname.tar', tar(dockerSaveMembers([{ repoTags: ['UPPER/Case:v1'], layers: [{ a: 'a' }] }]).members), /^invalid image format: image name "UPPER\/Case:v1" breaks the naming rules: /],
      ['notatar.tar', Buffer.from('this is not a tar archive\n'.repeat(100)), 'invalid image format: not a tar archive'],
      ['truncated.tar.gz', gz.subarray(0, gz.length - 30), /^invalid image format: the archive is not valid gzip \(.+; truncated or corrupt\)$/],
      ['bomb.tar.gz', gzipSync(tar([{ name: 'zeros', content: Buffer.alloc(80 * MiB) }, ...good()])), 'invalid image format: the archive holds more than 64 MiB after decompression (the limit)'],
    ];
    const done = [...(await uploadAndWait(s, hostileOrg, cases.slice(0, 7).map(([name, content]) => ({ name, content })))), ...(await uploadAndWait(s, hostileOrg, cases.slice(7).map(([name, content]) => ({ name, content }))))];
    done.forEach((u, i) => {
      const [name, , message] = cases[i] as [string, Buffer, string | RegExp];
      expect([u.fileName, u.status]).toEqual([name, 'failed']);
      if (typeof message === 'string') expect(u.error).toBe(message);
      else expect(u.error).toMatch(message);
      expect(u.images).toEqual([]);
    });
    expect(await registryRows(s.db, hostileOrg)).toEqual({ repositories: 0, tags: 0, links: 0, manifests: 0 });
    expect((await json(adminApi(s, `/organizations/${hostileOrg}/usage`))).usedBytes).toBe(0);
    const audit = await auditActions(s, 'image.import', `${hostileOrg}/dotdot.tar`);
    expect(audit.items).toEqual([expect.objectContaining({ actor: 'admin', result: 'failure' })]);

    // Refused before the body is stored: not an archive name, no organization field.
    const notTar = await uploadFiles(s, hostileOrg, [{ name: 'image.zip', content: Buffer.from('zip') }]);
    expect([notTar.status, (await json(notTar)).error]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'file "image.zip": only .tar and .tar.gz archives are accepted', field: 'files' }]);
    const noOrg = await fetch(`${s.srv.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${s.bearer}`, 'content-type': 'application/json' }, body: '{}' });
    expect(noOrg.status).toBe(400);
  }, 180_000);

  it("an upload over the organization's quota fails as a push would, saying so", async () => {
    const small = uniqueOrg('quota');
    expect((await adminApi(s, '/organizations', { method: 'POST', body: JSON.stringify({ name: small }) })).status).toBe(201);
    expect((await adminApi(s, `/organizations/${small}`, { method: 'PATCH', body: JSON.stringify({ storageQuotaBytes: 4096 }) })).status).toBe(200);
    const big = tar(dockerSaveMembers([{ repoTags: ['big:v1'], layers: [{ blob: randomBytes(64 * 1024).toString('latin1') }] }]).members);
    const [done] = (await uploadAndWait(s, small, [{ name: 'big.tar', content: big }])) as UploadView[];
    expect(done?.status).toBe('failed');
    expect(done?.error).toMatch(new RegExp(`^storage quota of organization ${small} exceeded: \\d+ of 4096 bytes used, this blob needs \\d+ more$`));
    expect((await registryRows(s.db, small)).tags).toBe(0);
  });

  it('permissions, audit, visibility of uploads and the limit on unfinished files', async () => {
    const name = uniqueOrg('upuser');
    const created = await adminApi(s, '/accounts', { method: 'POST', body: JSON.stringify({ name, owner: { username: name, password: 'upload-user-pw' } }) });
    expect(created.status).toBe(201);
    const login = await json(fetch(`${s.srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, password: 'upload-user-pw' }) }));
    const bearer = login.accessToken as string;
    const archive = { name: 'p.tar', content: tar(dockerSaveMembers([{ repoTags: ['perm:v1'], layers: [{ p: 'p' }] }]).members) };
    // Not a member: the organization is not even visible. Read only: refused.
    const stranger = await uploadFiles(s, org, [archive], bearer);
    expect([stranger.status, (await json(stranger)).error.message]).toEqual([404, `organization ${org} not found`]);
    expect((await adminApi(s, `/organizations/${org}/members/${name}`, { method: 'PUT', body: JSON.stringify({ level: 'read' }) })).status).toBe(200);
    const reader = await uploadFiles(s, org, [archive], bearer);
    expect([reader.status, (await json(reader)).error.message]).toEqual([403, `uploading images into ${org} needs push (edit) permission on the organization`]);
    expect((await adminApi(s, `/organizations/${org}/members/${name}`, { method: 'PUT', body: JSON.stringify({ level: 'edit' }) })).status).toBe(200);
    const ok = await uploadFiles(s, org, [archive], bearer);
    expect(ok.status).toBe(202);
    const id = ((await ok.json()) as { uploads: UploadView[] }).uploads[0]?.id as string;
    expect(await waitForUpload(s, id, 60_000, bearer)).toMatchObject({ status: 'succeeded', uploadedBy: name, images: [{ repository: `${org}/perm`, tags: ['v1'] }] });
    expect((await auditActions(s, 'image.upload', org)).items).toEqual(expect.arrayContaining([expect.objectContaining({ actor: name, result: 'success' })]));
    expect((await auditActions(s, 'image.import', `${org}/p.tar`)).items).toEqual([expect.objectContaining({ actor: name, result: 'success' })]);
    // Someone else's upload: the organization's manager (admin) sees it; another user does not.
    expect((await adminApi(s, `/uploads/${id}`)).status).toBe(200);
    const [mine] = (await uploadAndWait(s, org, [archive])) as UploadView[];
    // The same name again with other content: the tag moves to the new image.
    const other = { name: 'p2.tar', content: tar(dockerSaveMembers([{ repoTags: ['perm:v1'], layers: [{ p: 'other content' }] }]).members) };
    const [again] = (await uploadAndWait(s, org, [other])) as UploadView[];
    expect(again?.images[0]?.digest).not.toBe(mine?.images[0]?.digest);
    const head = await fetch(`${s.srv.url}/v2/${org}/perm/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(head.headers.get('docker-content-digest')).toBe(again?.images[0]?.digest);
    expect((await fetch(`${s.srv.url}/api/v1/uploads/${mine?.id}`, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(404);

    // A backlog of unfinished files (the default limit is 20): the next request is refused before its body is read.
    const user = (await s.db.query(`SELECT id FROM users WHERE username = $1`, [name])).rows[0].id as string;
    await s.db.query(
      `INSERT INTO imports (id, batch_id, organization, file_name, user_id, username, status)
         SELECT gen_random_uuid(), gen_random_uuid(), $1, 'backlog.tar', $2, $3, 'queued' FROM generate_series(1, 20)`,
      [org, user, name],
    );
    const busy = await uploadFiles(s, org, [archive], bearer);
    expect([busy.status, (await json(busy)).error]).toEqual([429, { code: 'TOO_MANY_REQUESTS', message: '20 files uploaded by your account are not imported yet (the limit is 20); wait for them to finish' }]);
  }, 120_000);
});
