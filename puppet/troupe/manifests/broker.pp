# @summary A NATS broker for troupe: Debian's nats-server with mutual TLS from the troupe (or Puppet) CA.
#
# @param listen HOST:PORT for clients.
# @param tls_cert, tls_key, tls_ca The broker's certificate and key and the CA clients' certificates must chain to;
#   all three or none (plain TCP, for a lab only).
# @param jetstream_dir JetStream store (the registry and plans); undef turns JetStream off.
# @param max_payload Largest message in bytes; keep it above the nodes' max_message_size.
# @param config_file The nats-server configuration written.
# @param manage_package Install Debian's nats-server package.
# @param manage_service Run nats-server with config_file as the `troupe-broker` service (a systemd unit).
class troupe::broker (
  String[1] $listen = '0.0.0.0:4222',
  Optional[Pattern[/\A\//]] $tls_cert = undef,
  Optional[Pattern[/\A\//]] $tls_key = undef,
  Optional[Pattern[/\A\//]] $tls_ca = undef,
  Optional[Pattern[/\A\//]] $jetstream_dir = '/var/lib/troupe/jetstream',
  Integer[1024] $max_payload = 2097152,
  Pattern[/\A\//] $config_file = '/etc/nats-server/troupe.conf',
  Boolean $manage_package = true,
  Boolean $manage_service = true,
) {
  if [$tls_cert, $tls_key, $tls_ca].any |$v| { $v =~ Undef } and [$tls_cert, $tls_key, $tls_ca].any |$v| { $v =~ NotUndef } {
    fail('troupe::broker: tls_cert, tls_key and tls_ca go together')
  }
  if $manage_package {
    package { 'nats-server': ensure => installed, before => File[$config_file] }
  }
  file { regsubst($config_file, '/[^/]+\z', ''): ensure => directory, mode => '0755' }
  file { $config_file:
    ensure  => file,
    mode    => '0640',
    content => epp('troupe/nats-server.conf.epp', {
      'listen'        => $listen,
      'tls_cert'      => $tls_cert,
      'tls_key'       => $tls_key,
      'tls_ca'        => $tls_ca,
      'jetstream_dir' => $jetstream_dir,
      'max_payload'   => $max_payload,
    }),
  }
  if $manage_service {
    file { '/etc/systemd/system/troupe-broker.service':
      ensure  => file,
      mode    => '0644',
      content => @("UNIT"/$),
        [Unit]
        Description=NATS broker for troupe
        After=network-online.target
        Wants=network-online.target

        [Service]
        ExecStart=/usr/sbin/nats-server --config ${config_file}
        ExecReload=/bin/kill -HUP \$MAINPID
        Restart=on-failure
        NoNewPrivileges=yes
        ProtectSystem=full
        ProtectHome=yes
        PrivateTmp=yes

        [Install]
        WantedBy=multi-user.target
        | UNIT
    }
    service { 'troupe-broker':
      ensure    => running,
      enable    => true,
      subscribe => File[$config_file, '/etc/systemd/system/troupe-broker.service'],
    }
  }
}
