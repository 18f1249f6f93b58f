import { checkOrganizationName, checkRepositoryName, checkTag } from './reference';

describe('repository names', () => {
  it.each(['demo/app', 'xc-edu-cloud-01/app', 'a/b/c/d', 'org/app.v2', 'org/my__app', 'org/a---b', 'o1/x_y'])(
    'accepts %s',
    (name) => expect(checkRepositoryName(name)).toBeNull(),
  );

  it.each([
    ['Demo/app', 'must start with a lowercase letter'],
    ['demo/App', 'may contain only lowercase'],
    ['demo/../etc', 'may contain only lowercase'],
    ['demo//app', 'empty path component'],
    ['demo/app/', 'empty path component'],
    ['demo', 'must be <organization>/<repository>'],
    ['1demo/app', 'must start with a lowercase letter'],
    ['demo/-app', 'may contain only lowercase'],
    ['demo/app_', 'may contain only lowercase'],
    ['demo/a...b', 'may contain only lowercase'],
    [`${'o'.repeat(65)}/app`, 'longer than 64'],
    [`demo/${'a'.repeat(129)}`, 'longer than 128'],
    [`demo/${'a'.repeat(300)}`, 'longer than 255'],
  ])('rejects %s with a message naming the rule', (name, message) => {
    expect(checkRepositoryName(name)).toContain(message);
  });

  it('applies the organization rules on their own', () => {
    expect(checkOrganizationName('xc-edu-cloud-01')).toBeNull();
    expect(checkOrganizationName('')).toContain('empty');
    expect(checkOrganizationName('a.b_c__d')).toBeNull();
    expect(checkOrganizationName('a._b')).toContain('may contain only');
  });
});

describe('tags', () => {
  it.each(['latest', 'v1.0.0', '_x', 'A-b_c.d', 'a'.repeat(128)])('accepts %s', (tag) => expect(checkTag(tag)).toBeNull());
  it.each(['', '-x', '.x', 'a'.repeat(129), 'a/b', 'a:b', 'tag with space'])('rejects %j', (tag) => {
    expect(checkTag(tag)).toMatch(/must match/);
  });
});
