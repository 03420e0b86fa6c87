#!/usr/bin/env bash
# Walks one fictional case from registration to RECORDED with `buf curl`, each step sent by
# the agency that may take it, using the dev PKI the server generated on first start.
#   usage: docs/examples/walk-case.sh [host:port] [pki-dir]
# Needs buf (npx @bufbuild/buf, or .ci/tools after .ci/run) and python3 (to read replies).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
addr=${1:-localhost:50051}
pki=${2:-netral-data/pki}
buf=${BUF:-buf}

call() { # agency method json
    "$buf" curl --protocol grpc --cacert "$pki/ca.pem" \
        --cert "$pki/agencies/$1.pem" --key "$pki/agencies/$1.key" \
        -d "$3" "https://$addr/netral.v1.CaseService/$2"
}
field() { python3 -c "import json,sys; c=json.load(sys.stdin)['case']; print(c['$1'])"; }
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }
step() { # agency method extra-json-fields
    local reply
    reply=$(call "$1" "$2" "{\"name\": \"$name\", \"etag\": \"$etag\", \"requestId\": \"$(uuid)\"$3}")
    etag=$(field etag <<<"$reply")
    echo "$2 by $1 -> $(field state <<<"$reply")"
}

registration=$(python3 - "$here/register-case.json" <<'PY'
import json, sys, uuid
req = json.load(open(sys.argv[1]))
req["requestId"] = str(uuid.uuid4())
req["case"]["registrationNumber"] = "DEMO/" + uuid.uuid4().hex[:8]
print(json.dumps(req))
PY
)
reply=$(call bawaslu-kotabaru RegisterCase "$registration")
name=$(field name <<<"$reply"); etag=$(field etag <<<"$reply")
echo "RegisterCase by bawaslu-kotabaru -> $name $(field state <<<"$reply")"
step bawaslu-kotabaru ForwardCase ', "letterNumber": "045/PM.00.02/K.KS-12/2024"'
step bkn AcceptCase ''
step bkn RecommendSanction ', "recommendation": {"level": "SANCTION_LEVEL_SEVERE", "moralSanction": "MORAL_SANCTION_OPEN_STATEMENT", "letterNumber": "B-1234/2024"}'
today=$(date +%Y-%m-%d)
step pemkab-kotabaru RecordSanctionDecree ", \"sanctions\": [{\"code\": \"SEVERE_DEMOTION_12M\", \"decreeNumber\": \"800/123/2024\", \"decreeDate\": {\"year\": ${today:0:4}, \"month\": $((10#${today:5:2})), \"day\": $((10#${today:8:2}))}}]"
step bkn RecordInRegistry ', "registryReference": "IDIS-DEMO-1"'
