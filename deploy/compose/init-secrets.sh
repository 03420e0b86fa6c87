#!/bin/sh
# One-shot set-up of what production mode needs, for the compose demo only: an operator CA
# (NOT the development PKI, which production mode refuses), a server certificate for the
# replicas' names, one client certificate per directory agency, the audit signing key (a
# signed-note PRIVATE+KEY line named after audit.origin), the subject-digest secret, and a
# directory file. What the replicas read goes to $OUT (default /secrets, mounted at /etc/netral
# in the replicas, laid out as deploy/config/production.toml expects); the CA key and the agencies'
# certificates go to $PKI (default /pki), never to the replicas. Changes nothing that exists, so
# it can run on every `docker compose up`. Needs openssl and a POSIX shell (alpine: apk add
# openssl).
#
#   OUT=./secrets PKI=./pki ORIGIN=netral.bawaslu.go.id/audit-log \
#     DIRECTORY=services/netral-server/dev/directory.dev.toml \
#     SERVER_NAMES="netral-1 netral-2 localhost" sh deploy/compose/init-secrets.sh
#
# A real deployment uses its own CA (the CA key never on a server host) and keeps these in
# Kubernetes Secrets: see docs/OPERATIONS.md.
set -eu

OUT=${OUT:-/secrets}
PKI=${PKI:-/pki}
ORIGIN=${ORIGIN:-netral.bawaslu.go.id/audit-log}
DIRECTORY=${DIRECTORY:-/src/directory.dev.toml}
SERVER_NAMES=${SERVER_NAMES:-netral-1 netral-2 localhost}
OWNER=${OWNER:-65532:65532}
DAYS=${DAYS:-825}

umask 077
mkdir -p "$OUT/tls" "$OUT/audit" "$PKI/agencies"

if [ ! -f "$PKI/ca.pem" ]; then
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/O=netral compose demo/CN=netral compose demo CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
fi
cp "$PKI/ca.pem" "$OUT/tls/ca.pem"

# issue NAME SUBJECT_CN SAN EKU: a P-256 key and a certificate signed by the CA.
issue() {
    name=$1 cn=$2 san=$3 eku=$4
    [ -f "$name.pem" ] && return 0
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/O=netral compose demo/CN=$cn" -keyout "$name.key.tmp" -out "$name.csr" 2>/dev/null
    openssl pkcs8 -topk8 -nocrypt -in "$name.key.tmp" -out "$name.key"
    rm -f "$name.key.tmp"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
        "$eku" "$san" >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
        -days "$DAYS" -extfile "$name.ext" -out "$name.pem" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}

sans=""
for n in $SERVER_NAMES; do sans="${sans:+$sans,}DNS:$n"; done
issue "$OUT/tls/server" netral-server "$sans,IP:127.0.0.1" serverAuth

for id in $(sed -n 's/^id = "\([a-z0-9-]*\)"$/\1/p' "$DIRECTORY"); do
    issue "$PKI/agencies/$id" "$id" "URI:netral:agency/$id" clientAuth
done

# The directory the replicas read: the given file, under a header of its own.
if [ ! -f "$OUT/directory.toml" ]; then
    { echo "# The compose demo's directory (a copy of $DIRECTORY)."; cat "$DIRECTORY"; } \
        >"$OUT/directory.toml"
fi
cd "$OUT"

if [ ! -f audit/subject.key ]; then
    openssl rand -hex 32 >audit/subject.key
fi

# The checkpoint key, in the signed-note format: PRIVATE+KEY+<origin>+<key id>+<key>, where
# <key> is base64(0x01 || Ed25519 seed) and <key id> the first 4 bytes, in hex, of
# SHA-256(<origin> "\n" 0x01 || public key).
if [ ! -f audit/audit-log.key ]; then
    openssl genpkey -algorithm ed25519 -outform DER -out audit/ed25519.der
    seed=$(tail -c 32 audit/ed25519.der | od -An -v -tx1 | tr -d ' \n')
    public=$(openssl pkey -inform DER -in audit/ed25519.der -pubout -outform DER | tail -c 32 |
        od -An -v -tx1 | tr -d ' \n')
    hex_to_bin() { # POSIX printf: one octal escape per byte
        for byte in $(printf '%s' "$1" | sed 's/../& /g'); do
            printf "\\$(printf '%03o' "0x$byte")"
        done
    }
    key_id=$({ printf '%s\n' "$ORIGIN"; hex_to_bin "01$public"; } | openssl dgst -sha256 -binary |
        head -c 4 | od -An -v -tx1 | tr -d ' \n')
    key=$(hex_to_bin "01$seed" | base64 | tr -d '\n')
    printf 'PRIVATE+KEY+%s+%s+%s\n' "$ORIGIN" "$key_id" "$key" >audit/audit-log.key
    rm -f audit/ed25519.der
fi

rm -f "$PKI/ca.srl"
chmod -R go-rwx "$OUT"
chmod 0644 tls/ca.pem tls/server.pem
chown -R "$OWNER" "$OUT" 2>/dev/null || true
echo "replica secrets in $OUT; CA key and agency certificates in $PKI (keep them off the replicas)"
