#!/bin/bash
# Stops everything tooling/openstack-real/setup.sh started, by pid (never by name), and unmounts its bind mount.
# PURGE=1 also removes the packages and all state (the next setup.sh then installs from scratch).
W=${FLOCKERJS_OPENSTACK_DIR:-/var/lib/flockerjs-openstack}
stop_pid() { # name
  local f=$W/$1.pid p
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$p" 2>/dev/null && { echo "  $1 (pid $p) did not stop on TERM, sending KILL"; kill -KILL "$p"; }
    echo "stopped $1 (pid $p)"
  fi
  rm -f "$f"
}
for f in nova-compute nova-scheduler nova-conductor nova-api placement fake-neutron cinder-volume cinder-scheduler cinder-api keystone; do
  stop_pid $f
done
# RabbitMQ and MariaDB were started with their SysV scripts, which stop them by their own pid files.
/etc/init.d/rabbitmq-server stop >/dev/null 2>&1 && echo "stopped rabbitmq-server"
/etc/init.d/mariadb stop >/dev/null 2>&1 && echo "stopped mariadb"
for p in $(pgrep -u rabbitmq -x epmd); do kill "$p" && echo "stopped epmd (pid $p)"; done
for m in $(awk '$2 ~ /^\/var\/lib\/cinder\/mnt\// {print $2}' /proc/mounts); do umount "$m" && echo "unmounted $m"; done
[ "${PURGE:-0}" = 1 ] || exit 0
export DEBIAN_FRONTEND=noninteractive
apt-mark manual sudo >/dev/null 2>&1
apt-get purge -y -q keystone python3-keystone cinder-common python3-cinder nova-common python3-nova placement-common \
  python3-placement rabbitmq-server mariadb-server mariadb-server-core mariadb-client mariadb-common crudini nfs-common >/dev/null 2>&1
apt-get autoremove --purge -y -q >/dev/null 2>&1
rm -rf /var/lib/keystone /var/lib/cinder /var/lib/nova /var/lib/placement /var/lib/mysql /var/lib/rabbitmq /etc/keystone \
  /etc/cinder /etc/nova /etc/placement /etc/mysql /etc/rabbitmq /srv/cinder-nfs "$W"
apt-get clean; rm -f /usr/sbin/policy-rc.d
echo "purged"
