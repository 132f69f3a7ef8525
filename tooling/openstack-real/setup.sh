#!/bin/bash
# Single-node Keystone + Cinder (+ optional Nova with fake virt driver) from Debian bookworm packages,
# for a CI sandbox without systemd (PID 1 != systemd), without device-mapper/LIO/NFS kernel support.
# flockerjs's copy of the tested recipe in shared/openstack-real (see README.md beside this file).
# Usage: WITH_NOVA=1 bash setup.sh      (WITH_NOVA=0 for keystone+cinder only)
# Idempotent: packages already installed are not reinstalled, daemons whose pid is alive are not restarted,
# databases/catalog/cells/types are created only when missing. Everything it starts leaves a pid file, and
# every log it controls, under ONE directory: $FLOCKERJS_OPENSTACK_DIR (default /var/lib/flockerjs-openstack).
# MariaDB and RabbitMQ are started with their SysV scripts (their own pid files); teardown.sh stops them too.
# Result: keystone http://127.0.0.1:5000/v3  admin/adminpass project admin (domain Default)
#         cinder   http://127.0.0.1:8776/v3/%(project_id)s  (volume type "nfs" = default backend)
#         nova     http://127.0.0.1:8774/v2.1 (flavor "tiny"), placement :8778, neutron stub :9696
set -euo pipefail
WITH_NOVA=${WITH_NOVA:-1}
W=${FLOCKERJS_OPENSTACK_DIR:-/var/lib/flockerjs-openstack}   # pid files, logs, generated ini files
L=$W/log
mkdir -p $W $L; chmod 755 $W $L
PY=/usr/bin/python3               # NOT a pyenv/venv python
ts() { echo "[$(date +%T)] $*"; }
T_START=$(date +%s)

# ---------- 0. no auto-start of daemons by maintainer scripts ----------
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d

# ---------- 1. packages ----------
debconf-set-selections <<'EOF'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
cinder-common cinder/configure_db boolean false
cinder-common cinder/configure_rabbit boolean false
cinder-common cinder/configure_ksat boolean false
cinder-common cinder/volume_group string cinder-volumes
cinder-common cinder/my-ip string 127.0.0.1
cinder-api cinder/configure_api-endpoint boolean false
nova-common nova/configure_db boolean false
nova-common nova/configure_rabbit boolean false
nova-common nova/configure_ksat boolean false
nova-common nova/configure_neutron boolean false
nova-common nova/configure_placement boolean false
nova-common nova/my-ip string 127.0.0.1
nova-api novaapi/configure_db boolean false
nova-api nova/configure_api-endpoint boolean false
placement-common placement/configure_db boolean false
placement-common placement/configure_ksat boolean false
placement-api placement/configure_api-endpoint boolean false
EOF
PKGS="keystone cinder-api cinder-scheduler cinder-volume rabbitmq-server mariadb-server python3-pymysql nfs-common crudini"
# nova-compute needs *some* nova-compute-hypervisor; -ironic is the one that does not pull libvirt/qemu
[ "$WITH_NOVA" = 1 ] && PKGS="$PKGS nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic placement-api"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
  ts "apt-get install$missing"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing > $L/apt.log 2>&1 || { tail -30 $L/apt.log; exit 1; }
else
  ts "packages already installed"
fi
T_APT=$(date +%s); ts "apt done in $((T_APT - T_START))s"

# ---------- 2. infrastructure: MariaDB + RabbitMQ (SysV scripts work without systemd) ----------
/etc/init.d/mariadb status >/dev/null 2>&1 || /etc/init.d/mariadb start >/dev/null
/etc/init.d/rabbitmq-server status >/dev/null 2>&1 || /etc/init.d/rabbitmq-server start >/dev/null
mysql -uroot <<'EOF'
CREATE DATABASE IF NOT EXISTS keystone; CREATE DATABASE IF NOT EXISTS cinder;
CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova; CREATE DATABASE IF NOT EXISTS nova_cell0;
CREATE DATABASE IF NOT EXISTS placement;
CREATE USER IF NOT EXISTS 'os'@'localhost' IDENTIFIED BY 'osdbpass';
GRANT ALL ON keystone.* TO 'os'@'localhost'; GRANT ALL ON cinder.* TO 'os'@'localhost';
GRANT ALL ON nova_api.* TO 'os'@'localhost'; GRANT ALL ON nova.* TO 'os'@'localhost';
GRANT ALL ON nova_cell0.* TO 'os'@'localhost'; GRANT ALL ON placement.* TO 'os'@'localhost';
EOF
DB=mysql+pymysql://os:osdbpass@127.0.0.1
RABBIT=rabbit://guest:guest@127.0.0.1:5672/

alive() { [ -f $W/$1.pid ] && kill -0 "$(cat $W/$1.pid)" 2>/dev/null; }
mkdir -p $L/keystone $L/cinder $L/nova $L/placement
for u in keystone cinder nova placement; do id $u >/dev/null 2>&1 && chown $u:$u $L/$u; done

# helper: run a WSGI app under uwsgi (Connection: close avoids client keep-alive resets on http-socket)
uwsgi_app() { # name port wsgi-file user processes [extra ini lines...]
  if alive $1; then echo "  $1 already running (pid $(cat $W/$1.pid))"; return 0; fi
  local extra=""; [ $# -gt 5 ] && extra=$(printf '%s\n' "${@:6}")
  cat > $W/$1-uwsgi.ini <<EOF
[uwsgi]
http-socket = 127.0.0.1:$2
buffer-size = 65535
master = true
plugins = python3
lazy-apps = true
die-on-term = true
enable-threads = true
processes = $5
threads = 4
http-raw-body = true
wsgi-manage-chunked-input = true
add-header = Connection: close
uid = $4
gid = $4
chdir = /tmp
wsgi-file = $3
$extra
EOF
  setsid nohup /usr/bin/uwsgi_python3 --ini $W/$1-uwsgi.ini --pidfile $W/$1.pid > $L/$1.log 2>&1 < /dev/null &
}
daemon() { # name user args...  (python console-script daemons)
  local n=$1 u=$2; shift 2
  if alive $n; then echo "  $n already running (pid $(cat $W/$n.pid))"; return 0; fi
  start-stop-daemon --start --background --chuid $u:$u --make-pidfile --pidfile $W/$n.pid \
    --exec $PY -- "$@"
}
wait_http() { # url
  for i in $(seq 1 240); do curl -s -o /dev/null "$1" && return 0; sleep 0.5; done; echo "timeout $1"; return 1; }
quiet() { "$@" > $L/last-cmd.log 2>&1 || { cat $L/last-cmd.log; return 1; }; }  # eventlet prints harmless tracebacks at exit

# ---------- 3. keystone ----------
ts "keystone"
K=/etc/keystone/keystone.conf
crudini --set $K database connection $DB/keystone
crudini --set $K token provider fernet
crudini --set $K DEFAULT log_dir $L/keystone
quiet su -s /bin/sh keystone -c "keystone-manage db_sync"
[ -f /etc/keystone/fernet-keys/0 ] || quiet su -s /bin/sh keystone -c "keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone"
[ -f /etc/keystone/credential-keys/0 ] || quiet su -s /bin/sh keystone -c "keystone-manage credential_setup --keystone-user keystone --keystone-group keystone"
quiet su -s /bin/sh keystone -c "keystone-manage bootstrap --bootstrap-password adminpass \
  --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
  --bootstrap-public-url http://127.0.0.1:5000/v3/ --bootstrap-region-id RegionOne"
uwsgi_app keystone 5000 /usr/bin/keystone-wsgi-public keystone 2
wait_http http://127.0.0.1:5000/v3/

# service users / catalog in one python process (openstack CLI costs ~3 s per call)
$PY - "$WITH_NOVA" <<'EOF'
import sys
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client
ks = client.Client(session=session.Session(auth=v3.Password(
    auth_url='http://127.0.0.1:5000/v3', username='admin', password='adminpass', project_name='admin',
    user_domain_id='default', project_domain_id='default')))
def one(mgr, **kw):
    r = mgr.list(**kw)
    return r[0] if r else None
svc_proj = one(ks.projects, name='service') or ks.projects.create('service', 'default')
roles = {r.name: r for r in ks.roles.list()}
for rn in ('service',):
    if rn not in roles: roles[rn] = ks.roles.create(rn)
users = [('cinder', 'cinderpass')]
services = [('cinderv3', 'volumev3', 'http://127.0.0.1:8776/v3/%(project_id)s'),
            # pkgcloud 2.x blockstorage looks up service type 'volume' (v1 name): point it at v3
            ('cinder', 'volume', 'http://127.0.0.1:8776/v3/%(project_id)s')]
if sys.argv[1] == '1':
    users += [('nova', 'novapass'), ('placement', 'placementpass')]
    services += [('nova', 'compute', 'http://127.0.0.1:8774/v2.1'), ('placement', 'placement', 'http://127.0.0.1:8778')]
for name, pw in users:
    u = one(ks.users, name=name) or ks.users.create(name, domain='default', password=pw)
    for rn in ('admin', 'service'):
        ks.roles.grant(roles[rn], user=u, project=svc_proj)
for name, typ, url in services:
    s = one(ks.services, type=typ) or ks.services.create(name, type=typ)
    if not ks.endpoints.list(service=s):
        for itf in ('public', 'internal', 'admin'):
            ks.endpoints.create(s, url, interface=itf, region='RegionOne')
print("keystone catalog ok")
EOF

# ---------- 4. cinder: NFS driver on a bind mount (no kernel NFS/LVM needed) ----------
ts "cinder"
C=/etc/cinder/cinder.conf
SHARE=127.0.0.1:/srv/cinder-nfs
mkdir -p /srv/cinder-nfs /var/lib/cinder/tmp; chown cinder:cinder /srv/cinder-nfs /var/lib/cinder/tmp
echo "$SHARE" > /etc/cinder/nfs_shares; chown root:cinder /etc/cinder/nfs_shares; chmod 640 /etc/cinder/nfs_shares
# os-brick considers the share mounted if the md5(share) mount point appears in /proc/mounts
MP=/var/lib/cinder/mnt/$($PY -c "import hashlib,sys;print(hashlib.md5(sys.argv[1].encode()).hexdigest())" $SHARE)
mkdir -p $MP; mountpoint -q $MP || mount --bind /srv/cinder-nfs $MP
while read -r sec key val; do crudini --set $C "$sec" "$key" "$val"; done <<EOF
DEFAULT transport_url $RABBIT
DEFAULT my_ip 127.0.0.1
DEFAULT enabled_backends nfs
DEFAULT state_path /var/lib/cinder
DEFAULT log_dir $L/cinder
database connection $DB/cinder
keystone_authtoken www_authenticate_uri http://127.0.0.1:5000
keystone_authtoken auth_url http://127.0.0.1:5000
keystone_authtoken region_name RegionOne
keystone_authtoken password cinderpass
oslo_concurrency lock_path /var/lib/cinder/tmp
nfs volume_driver cinder.volume.drivers.nfs.NfsDriver
nfs volume_backend_name nfs
nfs nfs_shares_config /etc/cinder/nfs_shares
nfs nfs_mount_point_base /var/lib/cinder/mnt
nfs nfs_sparsed_volumes true
nfs nfs_snapshot_support true
nfs nas_secure_file_operations false
nfs nas_secure_file_permissions false
EOF
quiet su -s /bin/sh cinder -c "cinder-manage db sync"
# API processes under uwsgi never run eventlet green threads between requests -> the rabbit heartbeat
# dies, rabbit drops the connection after 60 s and the next RPC *call* (attach!) times out after 60 s.
printf '[oslo_messaging_rabbit]\nheartbeat_in_pthread = true\n' > /etc/cinder/cinder-api.conf
uwsgi_app cinder-api 8776 /usr/bin/cinder-wsgi cinder 1 \
  "pyargv = --config-file /etc/cinder/cinder.conf --config-file /etc/cinder/cinder-api.conf"
daemon cinder-scheduler cinder /usr/bin/cinder-scheduler --config-file $C --log-file $L/cinder/cinder-scheduler.log
# cinder-volume as root: skips 'sudo cinder-rootwrap' per shell command (12-25 s -> ~1 s per volume create)
daemon cinder-volume root /usr/bin/cinder-volume --config-file $C --log-file $L/cinder/cinder-volume.log

# ---------- 5. nova + placement (fake virt driver, networks=none, neutron stub) ----------
if [ "$WITH_NOVA" = 1 ]; then
ts "nova"
cat > /etc/placement/placement.conf <<EOF
[DEFAULT]
log_dir = $L/placement
[api]
auth_strategy = keystone
[placement_database]
connection = $DB/placement
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000
auth_url = http://127.0.0.1:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = placement
password = placementpass
EOF
ksa() { printf 'auth_type = password\nauth_url = http://127.0.0.1:5000/v3\nproject_domain_name = Default\nuser_domain_name = Default\nproject_name = service\nusername = %s\npassword = %s\nregion_name = RegionOne\n' $1 $2; }
cat > /etc/nova/nova.conf <<EOF
[DEFAULT]
transport_url = $RABBIT
my_ip = 127.0.0.1
state_path = /var/lib/nova
compute_driver = fake.FakeDriver
log_dir = $L/nova
[api]
auth_strategy = keystone
[api_database]
connection = $DB/nova_api
[database]
connection = $DB/nova
[conductor]
workers = 1
[scheduler]
workers = 1
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000
$(ksa nova novapass)
[service_user]
send_service_user_token = true
$(ksa nova novapass)
[placement]
$(ksa placement placementpass)
[cinder]
os_region_name = RegionOne
catalog_info = volumev3:cinderv3:publicURL
$(ksa nova novapass)
[neutron]
endpoint_override = http://127.0.0.1:9696
$(ksa nova novapass)
[glance]
api_servers = http://127.0.0.1:9292
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
[vnc]
enabled = false
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
EOF
chown root:nova /etc/nova/nova.conf; chmod 640 /etc/nova/nova.conf
chown root:placement /etc/placement/placement.conf; chmod 640 /etc/placement/placement.conf
mkdir -p /var/lib/nova/tmp; chown nova:nova /var/lib/nova/tmp $L/nova; chown placement:placement $L/placement
quiet su -s /bin/sh placement -c "placement-manage db sync"
quiet su -s /bin/sh nova -c "nova-manage api_db sync"
quiet su -s /bin/sh nova -c "nova-manage cell_v2 map_cell0 --database_connection $DB/nova_cell0"
su -s /bin/sh nova -c "nova-manage cell_v2 list_cells" 2>/dev/null | grep -q ' cell1 ' || \
  quiet su -s /bin/sh nova -c "nova-manage cell_v2 create_cell --name=cell1"
quiet su -s /bin/sh nova -c "nova-manage db sync"
# Neutron stub: GET /servers/{id} asks neutron for ports/security groups even with networks=none
cat > $W/fake-neutron.py <<'PYSTUB'
#!/usr/bin/python3
"""Minimal Neutron stub: nova (networks=none) only asks for ports / security groups / extensions.
Answers every GET with an empty collection named after the last path element."""
import json, re
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def _send(self, code, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path in ("", "/"):
            return self._send(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": "http://127.0.0.1:9696/v2.0/"}]}]})
        last = path.split("/")[-1]
        if last == "v2.0":
            return self._send(200, {"resources": []})
        if re.fullmatch(r"[0-9a-f-]{32,36}", last):
            return self._send(404, {"NeutronError": {"type": "NotFound", "message": "not found", "detail": ""}})
        key = last.replace("-", "_")
        self._send(200, {key: []})
    def do_DELETE(self): self._send(204)
    def do_POST(self): self._send(400, {"NeutronError": {"type": "BadRequest", "message": "stub", "detail": ""}})
    do_PUT = do_POST
    def log_message(self, fmt, *a): print(self.command, self.path, flush=True)
ThreadingHTTPServer(("127.0.0.1", 9696), H).serve_forever()
PYSTUB
alive fake-neutron || { setsid nohup $PY $W/fake-neutron.py > $L/fake-neutron.log 2>&1 < /dev/null & echo $! > $W/fake-neutron.pid; }
uwsgi_app placement 8778 /usr/bin/placement-api placement 1
printf '[oslo_messaging_rabbit]\nheartbeat_in_pthread = true\n' > /etc/nova/nova-api.conf
uwsgi_app nova-api 8774 /usr/bin/nova-api-wsgi nova 1 "env = OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf;nova-api.conf"
daemon nova-conductor nova /usr/bin/nova-conductor --config-file /etc/nova/nova.conf --log-file $L/nova/nova-conductor.log
daemon nova-scheduler nova /usr/bin/nova-scheduler --config-file /etc/nova/nova.conf --log-file $L/nova/nova-scheduler.log
daemon nova-compute nova /usr/bin/nova-compute --config-file /etc/nova/nova.conf --log-file $L/nova/nova-compute.log
fi

# ---------- 6. wait until everything is usable ----------
ts "waiting for services"
wait_http http://127.0.0.1:8776/
TOKEN=$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:5000/v3/auth/tokens -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"adminpass"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
PROJ=$(curl -s -H "X-Auth-Token: $TOKEN" -H "X-Subject-Token: $TOKEN" http://127.0.0.1:5000/v3/auth/tokens | $PY -c "import json,sys;print(json.load(sys.stdin)['token']['project']['id'])")
up_count() { curl -s -H "X-Auth-Token: $TOKEN" "$1" | $PY -c "import json,sys;d=json.load(sys.stdin);print(sum(1 for s in d['$2'] if s['state']=='up'))" 2>/dev/null || echo 0; }
for i in $(seq 1 120); do [ "$(up_count http://127.0.0.1:8776/v3/$PROJ/os-services services)" = 2 ] && break; sleep 1; done
# "nfs" is the default type; flockerjs-gold/-silver/-bronze (same backend) are what the driver's profile suite maps
# the mandatory profiles to. 200 = created, 409 = already there (re-run).
for t in nfs flockerjs-gold flockerjs-silver flockerjs-bronze; do
  curl -s -o /dev/null -w "volume type $t: %{http_code}\n" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -X POST http://127.0.0.1:8776/v3/$PROJ/types -d '{"volume_type":{"name":"'$t'","extra_specs":{"volume_backend_name":"nfs"}}}'
done
# Cinder's default quota (10 volumes) is less than one test run makes: lift it for the admin project.
curl -s -o /dev/null -w "quota: %{http_code}\n" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  -X PUT http://127.0.0.1:8776/v3/$PROJ/os-quota-sets/$PROJ -d '{"quota_set":{"volumes":-1,"gigabytes":-1}}'
if [ "$WITH_NOVA" = 1 ]; then
  wait_http http://127.0.0.1:8778/; wait_http http://127.0.0.1:8774/
  for i in $(seq 1 120); do [ "$(up_count http://127.0.0.1:8774/v2.1/os-services services)" = 3 ] && break; sleep 1; done
  quiet su -s /bin/sh nova -c "nova-manage cell_v2 discover_hosts"
  curl -s -o /dev/null -w "flavor tiny: %{http_code}\n" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -X POST http://127.0.0.1:8774/v2.1/flavors -d '{"flavor":{"name":"tiny","ram":64,"vcpus":1,"disk":0}}'
  # compute node must be in placement before the first boot
  for i in $(seq 1 120); do
    n=$(curl -s -H "X-Auth-Token: $TOKEN" -H 'OpenStack-API-Version: placement 1.6' http://127.0.0.1:8778/resource_providers | $PY -c "import json,sys;print(len(json.load(sys.stdin)['resource_providers']))" 2>/dev/null || echo 0)
    [ "$n" -ge 1 ] && break; sleep 1; done
fi
T_END=$(date +%s)
cat > $W/env <<EOF
# source this: what the driver's test:openstack-real suite reads
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_USERNAME=admin OS_PASSWORD=adminpass OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne OS_VOLUME_TYPE=nfs
export OS_WITH_NOVA=$WITH_NOVA
EOF
ts "READY: total $((T_END - T_START))s (apt $((T_APT - T_START))s, configure+start $((T_END - T_APT))s); pids and logs in $W"
