# @summary Settings shared by troupe::server and troupe::client, and the troupe package.
#
# @param brokers Broker URLs, tried in order (nats://host:4222, or amqp(s)://… with connector => 'amqp').
# @param collectives Collectives joined; the first is the main one.
# @param connector 'nats' or 'amqp'.
# @param package_ensure Ensure of the troupe package.
# @param package_source A .deb to install with dpkg instead of from an apt repository (which needs nodejs >= 20,
#   e.g. NodeSource's, configured beforehand).
# @param config_dir Where server.cfg, client.cfg, facts.yaml and policies/ live.
# @param ssldir The daemon's Puppet-layout ssldir (certs/<certname>.pem, private_keys/<certname>.pem, certs/ca.pem, crl.pem).
class troupe (
  Array[String[1], 1] $brokers = ['nats://127.0.0.1:4222'],
  Array[Pattern[/\A[A-Za-z0-9_-]+\z/], 1] $collectives = ['mcollective'],
  Enum['nats', 'amqp'] $connector = 'nats',
  String[1] $package_ensure = 'installed',
  Optional[Pattern[/\A\//]] $package_source = undef,
  Pattern[/\A\//] $config_dir = '/etc/troupe',
  Pattern[/\A\//] $ssldir = '/etc/troupe/ssl',
) {
  if $package_source {
    package { 'troupe':
      ensure   => $package_ensure,
      provider => 'dpkg',
      source   => $package_source,
    }
  } else {
    package { 'troupe':
      ensure => $package_ensure,
    }
  }
}
