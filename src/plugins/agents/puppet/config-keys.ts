// The puppet agent's settings (read by settings.ts).
// Declared once here with default and doc; config/keys.ts collects them and the README's table is generated from them.
import type { KeyTable } from '../../../config/key-spec.js';

export const PUPPET_KEYS = {
  // The puppet agent. Its per-node paths may contain `{identity}`, replaced by the node's identity in `mco sim`.
  'plugin.puppet.mode': {
    type: 'enum',
    values: ['agent', 'apply'],
    default: 'agent',
    scope: 'server',
    description: 'puppet agent: `agent` runs `puppet agent`; `apply` is masterless: `puppet apply` of a git working copy.',
  },
  'plugin.puppet.command': {
    type: 'string',
    default: 'puppet agent',
    scope: 'server',
    description: 'puppet agent: command starting an agent run (`--onetime --no-daemonize …` are appended).',
  },
  'plugin.puppet.config': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's",
    scope: 'server',
    description: 'puppet agent: puppet.conf passed as `--config` to every Puppet command.',
  },
  'plugin.puppet.confdir': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's",
    scope: 'server',
    description: 'puppet agent: confdir passed as `--confdir` to every Puppet command.',
  },
  'plugin.puppet.splay': {
    type: 'boolean',
    default: true,
    scope: 'server',
    description:
      'puppet agent: runonce sleeps a random time first unless the request says otherwise or forces the run; with `runinterval`, the first scheduled run waits a random time up to `splaylimit`, as puppet agent does.',
  },
  'plugin.puppet.splaylimit': {
    type: 'integer',
    min: 0,
    default: 30,
    scope: 'server',
    description: 'puppet agent: longest splay in seconds (runonce, and the first scheduled run).',
  },
  'plugin.puppet.runinterval': {
    type: 'string',
    default: '0',
    defaultDoc: '0 (no scheduled runs)',
    pattern: /^\s*\d+[smhdy]?\s*$/,
    patternDoc: 'a duration: seconds, or a number with s, m, h, d or y',
    scope: 'server',
    description:
      "puppet agent: the daemon runs Puppet this often, as puppet.conf's `runinterval` (`30m`, `1h`, `1800`); the first run comes at start, after the splay when `splay` is on. A scheduled run honours the disable lock and the run locks, and is skipped (and logged) while another run is pending.",
  },
  'plugin.puppet.signal_daemon': {
    type: 'boolean',
    default: true,
    scope: 'server',
    description: 'puppet agent: runonce sends SIGUSR1 to an idle Puppet daemon instead of starting a run.',
  },
  'plugin.puppet.allow_server_override': {
    type: 'boolean',
    default: false,
    scope: 'server',
    description: "puppet agent: accept runonce's `server` input.",
  },
  'plugin.puppet.run_logfile': {
    type: 'path',
    default: '',
    defaultDoc: 'discarded',
    scope: 'server',
    description: 'puppet agent: file receiving the output of the runs it starts.',
  },
  'plugin.puppet.agent_disabled_lockfile': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: "puppet agent: Puppet's disable lock; empty asks `puppet config print`.",
  },
  'plugin.puppet.agent_catalog_run_lockfile': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: "puppet agent: Puppet's run lock (holds the PID of the applying run).",
  },
  'plugin.puppet.pidfile': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: "puppet agent: the Puppet daemon's pidfile (agent section).",
  },
  'plugin.puppet.lastrunfile': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: 'puppet agent: last_run_summary.yaml.',
  },
  'plugin.puppet.lastrunreport': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: 'puppet agent: last_run_report.yaml.',
  },
  'plugin.puppet.resourcefile': {
    type: 'path',
    default: '',
    defaultDoc: "Puppet's setting",
    scope: 'server',
    description: 'puppet agent: resources.txt, the resources Puppet manages.',
  },
  'plugin.puppet.runonce_lockfile': {
    type: 'path',
    default: '',
    defaultDoc: 'troupe_runonce.lock beside the run lock',
    scope: 'server',
    description: "puppet agent: troupe's lock from a run's request until its process exits.",
  },
  'plugin.puppet.apply_command': {
    type: 'string',
    default: 'puppet apply',
    scope: 'server',
    description: 'puppet agent, masterless: command applying the manifest.',
  },
  'plugin.puppet.codedir': {
    type: 'path',
    default: '',
    defaultDoc: 'none (required)',
    scope: 'server',
    description:
      'puppet agent, masterless: the git working copy holding the Puppet code (letters, digits and `/._+,@:-` only, so Puppet runs its config_version command without a shell).',
  },
  'plugin.puppet.manifest': {
    type: 'path',
    default: 'manifests/site.pp',
    scope: 'server',
    description: 'puppet agent, masterless: manifest to apply, relative to codedir.',
  },
  'plugin.puppet.modulepath': {
    type: 'string',
    default: '',
    defaultDoc: "Puppet's",
    scope: 'server',
    description: 'puppet agent, masterless: module path (`:`-separated, relative to codedir).',
  },
  'plugin.puppet.git_remote': {
    type: 'string',
    default: 'origin',
    scope: 'server',
    description: 'puppet agent, masterless: remote name or URL revisions are fetched from.',
  },
  'plugin.puppet.git_allowed_refs': {
    type: 'list',
    default: [],
    defaultDoc: 'none: revisions refused',
    scope: 'server',
    description: 'puppet agent, masterless: branch/tag patterns (`*` wildcard) a revision must be or be reachable from.',
  },
  'plugin.puppet.git_track': {
    type: 'string',
    default: '',
    defaultDoc: 'none: the checked-out code',
    pattern: /^([A-Za-z0-9_][A-Za-z0-9._/-]*)?$/,
    patternDoc: 'a branch name',
    scope: 'server',
    description:
      'puppet agent, masterless: branch a run without a revision follows (scheduled runs and plain runonce): its tip is fetched, checked against `git_allowed_refs`, checked out and applied; a tip that fails the check is refused and logged.',
  },
  'plugin.puppet.git_timeout': {
    type: 'integer',
    min: 1,
    default: 15,
    scope: 'server',
    description: 'puppet agent, masterless: seconds a git fetch or checkout may take.',
  },
  'plugin.puppet.governor': {
    type: 'string',
    default: '',
    defaultDoc: 'none',
    pattern: /^([A-Za-z0-9_-]{1,64})?$/,
    patternDoc: 'a governor name',
    scope: 'server',
    description:
      'puppet agent: governor (`mco governor add`) whose slot runonce takes before starting Puppet and holds until the run ends, so at most its capacity of runs happen across the fleet; the broker must allow it (`plugin.broker.node_governors`).',
  },
  'plugin.puppet.governor_max_wait': {
    type: 'integer',
    min: 0,
    max: 15,
    default: 10,
    scope: 'server',
    description: 'puppet agent: seconds runonce waits for a governor slot before refusing the run.',
  },
  'plugin.puppet.resource_allow_managed_resources': {
    type: 'boolean',
    default: false,
    scope: 'server',
    description: 'puppet agent: let `resource` change resources the catalog manages.',
  },
  'plugin.puppet.resource_type_whitelist': {
    type: 'string',
    default: '',
    defaultDoc: 'none: all denied',
    scope: 'server',
    description:
      'puppet agent: types `resource` may change (comma-separated; `none` denies all); `resource_name_whitelist.<type>` / `_blacklist.<type>` narrow names.',
  },
  'plugin.puppet.resource_type_blacklist': {
    type: 'string',
    default: '',
    scope: 'server',
    description: 'puppet agent: types `resource` may not change (instead of a whitelist).',
  },
  // What `resource` may set per type; other types need their own `resource_allow_params.<type>` (see resource-params.ts).
  'plugin.puppet.resource_allow_params.file': {
    type: 'list',
    default: ['ensure', 'owner', 'group', 'mode', 'content'],
    pattern: /^[a-z][a-z0-9_]*$/,
    patternDoc: 'parameter names',
    scope: 'server',
    description:
      'puppet agent: parameters `resource` may set on files; `resource_allow_params.<type>` (empty for none) is required for types other than file, package and service. Metaparameters, `name` and `path` are never allowed, exec and class never.',
  },
  'plugin.puppet.resource_allow_params.package': {
    type: 'list',
    default: ['ensure'],
    pattern: /^[a-z][a-z0-9_]*$/,
    patternDoc: 'parameter names',
    scope: 'server',
    description:
      'puppet agent: parameters `resource` may set on packages (`ensure`: present, installed, absent, purged, latest or a version).',
  },
  'plugin.puppet.resource_allow_params.service': {
    type: 'list',
    default: ['ensure', 'enable'],
    pattern: /^[a-z][a-z0-9_]*$/,
    patternDoc: 'parameter names',
    scope: 'server',
    description: 'puppet agent: parameters `resource` may set on services.',
  },
} as const satisfies KeyTable;
