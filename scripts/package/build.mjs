#!/usr/bin/env node
// `npm run package`: builds troupe_<version>_all.deb with dpkg-deb from the compiled tree and the production
// dependencies already in node_modules (the ones `npm ls --omit=dev` names), so it needs no network.
// Usage: node scripts/package/build.mjs [--out DIR] [--no-build]   (default out: dist/package)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const deb = join(root, 'packaging', 'debian');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : join(root, 'dist', 'package'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
}

if (!args.includes('--no-build')) {
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
  run(process.execPath, [join(root, 'scripts', 'copy-assets.mjs')], { stdio: 'inherit' });
}
if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
  console.error('dist/src/cli/main.js is missing: run without --no-build');
  process.exit(1);
}

const stage = mkdtempSync(join(tmpdir(), 'troupe-pkg-'));
try {
  chmodSync(stage, 0o755); // becomes the mode of / in the archive
  const app = join(stage, 'usr', 'lib', 'troupe');
  mkdirSync(app, { recursive: true });

  // The app: what `mco` loads at run time (compiled JavaScript, DDLs, schemas), not type declarations or maps.
  const runtimeFile = (src) => statSync(src).isDirectory() || (/\.(js|cjs|mjs|json)$/.test(src) && !src.endsWith('.d.ts'));
  cpSync(join(root, 'dist', 'src'), join(app, 'dist', 'src'), { recursive: true, filter: runtimeFile });
  cpSync(join(root, 'schemas'), join(app, 'schemas'), { recursive: true });
  cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
  chmodSync(join(app, 'bin', 'mco.js'), 0o755);
  const { devDependencies: _dev, scripts: _scripts, ...shipped } = pkg;
  writeFileSync(join(app, 'package.json'), JSON.stringify(shipped, null, 2) + '\n');

  // Production dependencies as installed here (package-lock's versions): each listed package without its nested
  // node_modules, which npm lists on their own lines when they are production ones too.
  const listed = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter((line) => line.startsWith(join(root, 'node_modules') + sep));
  const dropped = /(^|\/)(README|CHANGELOG|HISTORY)(\.[a-z]+)?$|\.(d\.ts|d\.mts|d\.cts|map|md|ts)$/i;
  for (const dir of listed) {
    const rel = relative(root, dir);
    cpSync(dir, join(app, rel), {
      recursive: true,
      filter: (src) => {
        const inner = relative(dir, src);
        if (inner.split(sep)[0] === 'node_modules') return false;
        return statSync(src).isDirectory() || !dropped.test(inner);
      },
    });
  }
  if (listed.length === 0) throw new Error('npm ls --omit=dev listed no dependencies');

  const put = (src, dest, mode = 0o644) => {
    mkdirSync(dirname(join(stage, dest)), { recursive: true });
    cpSync(src, join(stage, dest));
    chmodSync(join(stage, dest), mode);
  };
  mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
  symlinkSync('../lib/troupe/bin/mco.js', join(stage, 'usr', 'bin', 'mco'));
  put(join(deb, 'troupe.service'), 'lib/systemd/system/troupe.service');
  put(join(deb, 'troupe.init'), 'etc/init.d/troupe', 0o755);
  put(join(deb, 'default'), 'etc/default/troupe');
  put(join(deb, 'troupe.logrotate'), 'etc/logrotate.d/troupe');
  put(join(deb, 'etc', 'server.cfg'), 'etc/troupe/server.cfg', 0o640);
  put(join(deb, 'etc', 'client.cfg'), 'etc/troupe/client.cfg');
  for (const name of readdirSync(join(deb, 'etc', 'policies'))) put(join(deb, 'etc', 'policies', name), `etc/troupe/policies/${name}`);
  put(join(root, 'README.md'), 'usr/share/doc/troupe/README.md');
  put(join(deb, 'copyright'), 'usr/share/doc/troupe/copyright');

  // Control area: every file under /etc is a conffile (kept on remove, asked about on upgrade, gone on purge).
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(path);
      else if (st?.isFile()) files.push('/' + relative(stage, path));
    }
  };
  walk(stage);
  files.sort();
  const control = join(stage, 'DEBIAN');
  mkdirSync(control);
  const sizeKiB = Number(run('du', ['-sk', '--apparent-size', stage]).split('\t')[0]);
  const version = pkg.version;
  writeFileSync(
    join(control, 'control'),
    readFileSync(join(deb, 'control.in'), 'utf8').replace('@VERSION@', version).replace('@INSTALLED_SIZE@', String(sizeKiB)),
  );
  writeFileSync(join(control, 'conffiles'), files.filter((f) => f.startsWith('/etc/')).join('\n') + '\n');
  writeFileSync(
    join(control, 'md5sums'),
    files
      .filter((f) => !f.startsWith('/etc/'))
      .map(
        (f) =>
          `${createHash('md5')
            .update(readFileSync(join(stage, f)))
            .digest('hex')}  ${f.slice(1)}`,
      )
      .join('\n') + '\n',
  );
  for (const script of ['postinst', 'prerm', 'postrm']) put(join(deb, script), `DEBIAN/${script}`, 0o755);

  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `troupe_${version}_all.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '-z6', '--build', stage, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const debKiB = Math.round(statSync(out).size / 1024);
  console.log(`${out}\n  ${debKiB} KiB package, ${sizeKiB} KiB installed, ${listed.length} production packages`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
