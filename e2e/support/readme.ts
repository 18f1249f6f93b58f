/**
 * The README's tours: every ```bash block that follows a `<!-- tour -->` marker, joined in order,
 * to be run top to bottom by bash. Taken from README.md itself so the tests run what users read.
 */
export function readmeTours(readme: string): string {
  const blocks = [...readme.matchAll(/<!-- tour -->\n```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  if (blocks.length === 0) throw new Error('README.md has no <!-- tour --> blocks');
  return blocks.join('\n');
}
