# @summary The troupe node daemon: package, server.cfg, facts, action policies, certificate, service.
#
# @param identity Name of the node on the network (and of its certificate).
# @param settings Further server.cfg keys (README "Configuration keys"); they win over the ones this class sets.
# @param policies Action policies by agent ('default' for default.policy):
#   { 'puppet' => { 'default' => 'deny', 'rules' => [{ 'effect' => 'allow', 'callers' => 'cert=ops.troupe',
#   'actions' => '*', 'facts' => '*', 'classes' => '*' }] } }.
# @param policy_groups The policies' groups file: { 'operators' => ['cert=alice.troupe'] }.
# @param static_facts Facts the node answers with besides Facter's, written to facts.yaml (flat: name => scalar).
# @param puppet_ssldir When set, the node's certificate, key, CA and CRL are copied from this (Puppet's) ssldir,
#   readable by the troupe group, so the daemon uses the certificate Puppet already has.
# @param certname Certificate name in puppet_ssldir.
# @param service_ensure, service_enable The troupe service.
class troupe::server (
  String[1] $identity = $facts['networking']['fqdn'],
  Hash[String[1], Scalar] $settings = {},
  Hash[String[1], Struct[{
    Optional['default'] => Enum['allow', 'deny'],
    'rules'             => Array[Struct[{
      'effect'            => Enum['allow', 'deny'],
      'callers'           => String[1],
      'actions'           => String[1],
      Optional['facts']   => String[1],
      Optional['classes'] => String[1],
    }]],
  }]] $policies = {},
  Hash[String[1], Array[String[1]]] $policy_groups = {},
  Hash[String[1], Scalar] $static_facts = {},
  Optional[Pattern[/\A\//]] $puppet_ssldir = undef,
  String[1] $certname = $identity,
  Enum['running', 'stopped'] $service_ensure = 'running',
  Boolean $service_enable = true,
) {
  include troupe
  $dir = $troupe::config_dir
  $ssldir = $troupe::ssldir

  $base = {
    'identity'                    => $identity,
    'connector'                   => $troupe::connector,
    'middleware_hosts'            => join($troupe::brokers, ','),
    'collectives'                 => join($troupe::collectives, ','),
    'securityprovider'            => 'pki',
    'plugin.security.ssldir'      => $ssldir,
    'plugin.security.certname'    => $certname,
    'plugin.security.replay_file' => '/var/lib/troupe/replay.ids',
    'plugin.actionpolicy.dir'     => "${dir}/policies",
    'plugin.yaml'                 => "${dir}/facts.yaml",
    'logfile'                     => '/var/log/troupe/server.log',
  }

  file { "${dir}/server.cfg":
    ensure  => file,
    owner   => 'root',
    group   => 'troupe',
    mode    => '0640',
    content => epp('troupe/cfg.epp', { 'keys' => $base + $settings, 'what' => 'troupe node daemon' }),
    require => Package['troupe'],
    notify  => Service['troupe'],
  }

  file { "${dir}/facts.yaml":
    ensure  => file,
    owner   => 'root',
    group   => 'troupe',
    mode    => '0640',
    content => epp('troupe/facts.yaml.epp', { 'values' => $static_facts }),
    require => Package['troupe'],
  }

  file { "${dir}/policies":
    ensure  => directory,
    owner   => 'root',
    group   => 'troupe',
    mode    => '0750',
    require => Package['troupe'],
  }
  $policies.each |String $agent, Hash $policy| {
    file { "${dir}/policies/${agent}.policy":
      ensure  => file,
      owner   => 'root',
      group   => 'troupe',
      mode    => '0640',
      content => epp('troupe/policy.epp', { 'default' => $policy['default'].lest || { 'deny' }, 'rules' => $policy['rules'] }),
    }
  }
  unless $policy_groups.empty {
    file { "${dir}/policies/groups":
      ensure  => file,
      owner   => 'root',
      group   => 'troupe',
      mode    => '0640',
      content => epp('troupe/groups.epp', { 'groups' => $policy_groups }),
    }
  }

  if $puppet_ssldir {
    file { ["${ssldir}/certs", "${ssldir}/private_keys"]:
      ensure  => directory,
      owner   => 'root',
      group   => 'troupe',
      mode    => '0750',
      require => Package['troupe'],
    }
    $copies = {
      "certs/${certname}.pem"        => ["certs/${certname}.pem", '0644'],
      'certs/ca.pem'                 => ['certs/ca.pem', '0644'],
      'crl.pem'                      => ['crl.pem', '0644'],
      "private_keys/${certname}.pem" => ["private_keys/${certname}.pem", '0640'],
    }
    $copies.each |String $to, Array $how| {
      file { "${ssldir}/${to}":
        ensure => file,
        source => "${puppet_ssldir}/${how[0]}",
        owner  => 'root',
        group  => 'troupe',
        mode   => $how[1],
        notify => Service['troupe'],
      }
    }
  }

  service { 'troupe':
    ensure  => $service_ensure,
    enable  => $service_enable,
    require => Package['troupe'],
  }
}
