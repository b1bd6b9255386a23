# @summary The mco client's configuration: /etc/troupe/client.cfg (or `path`), for an operator's certificate.
#
# @param certname The operator certificate (a name matching plugin.security.client_pattern, e.g. alice.troupe).
# @param ssldir Where that certificate lives (Puppet layout); default the troupe class's.
# @param settings Further client.cfg keys; they win over the ones this class sets.
# @param path The file written.
# @param owner, mode Of the file (a per-user ~/.troupe/client.cfg belongs to that user).
class troupe::client (
  Optional[String[1]] $certname = undef,
  Optional[Pattern[/\A\//]] $ssldir = undef,
  Hash[String[1], Scalar] $settings = {},
  Optional[Pattern[/\A\//]] $path = undef,
  String[1] $owner = 'root',
  String[1] $mode = '0644',
) {
  include troupe
  $base = {
    'connector'              => $troupe::connector,
    'middleware_hosts'       => join($troupe::brokers, ','),
    'collectives'            => join($troupe::collectives, ','),
    'securityprovider'       => 'pki',
    'plugin.security.ssldir' => $ssldir.lest || { $troupe::ssldir },
  }
  $cert = $certname ? {
    undef   => {},
    default => { 'plugin.security.certname' => $certname },
  }
  file { $path.lest || { "${troupe::config_dir}/client.cfg" }:
    ensure  => file,
    owner   => $owner,
    mode    => $mode,
    content => epp('troupe/cfg.epp', { 'keys' => $base + $cert + $settings, 'what' => 'mco client' }),
    require => Package['troupe'],
  }
}
