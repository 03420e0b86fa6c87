"""Walks one case from registration to RECORDED through netral, as the agencies would.

Each step is sent with the certificate of the agency that may take it (dev PKI: the CA, and
agencies/<id>.pem and .key), reading the case's etag from the previous answer and choosing a
fresh request_id. The channel carries a gRPC service config whose retry policy re-sends a call
that failed UNAVAILABLE (the server answers so when its database is briefly unreachable, with
nothing written): gRPC retries send the very same request, same request_id, so a step is
applied at most once however often it is retried.

    python walk_case.py --endpoint 127.0.0.1:50051 --pki ../../netral-data/pki

Exits 0 when the case is RECORDED and the PPK's inbox holds the recommendation.
"""

import argparse
import datetime
import json
import pathlib
import sys
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "gen"))

import grpc  # noqa: E402

from google.type import date_pb2  # noqa: E402
from netral.v1 import case_pb2  # noqa: E402
from netral.v1 import case_service_pb2 as cs  # noqa: E402
from netral.v1 import case_service_pb2_grpc as cs_grpc  # noqa: E402
from netral.v1 import inbox_service_pb2 as inbox  # noqa: E402
from netral.v1 import inbox_service_pb2_grpc as inbox_grpc  # noqa: E402

# Retry UNAVAILABLE a few times with exponential backoff; every other status is an answer.
SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": "netral.v1.CaseService"}, {"service": "netral.v1.InboxService"}],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.2s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)

BAWASLU = "bawaslu-kotabaru"
EXAMINER = "bkn"  # the examiner since 2024-08-24, and the personnel registry
PPK = "pemkab-kotabaru"


def channel(endpoint: str, pki: pathlib.Path, agency: str) -> grpc.Channel:
    """A mutual-TLS channel presenting `agency`'s dev certificate."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "agencies" / f"{agency}.key").read_bytes(),
        certificate_chain=(pki / "agencies" / f"{agency}.pem").read_bytes(),
    )
    options = [
        ("grpc.ssl_target_name_override", "localhost"),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", SERVICE_CONFIG),
    ]
    return grpc.secure_channel(endpoint, credentials, options=options)


def request_id() -> str:
    return str(uuid.uuid4())


def today() -> date_pb2.Date:
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7)))
    return date_pb2.Date(year=now.year, month=now.month, day=now.day)


def registration() -> cs.RegisterCaseRequest:
    serial = uuid.uuid4().hex[:12]
    return cs.RegisterCaseRequest(
        request_id=request_id(),
        case=case_pb2.Case(
            registration_number=f"{serial}/Reg/TM/PL/Kab/22.05/2024",
            ppk=f"agencies/{PPK}",
            subject=case_pb2.Subject(
                id_kind=case_pb2.SUBJECT_ID_KIND_NIP,
                id="199003252015032001",
                full_name="Rusdiana Maulida Hasanah (fiktif)",
                position="Guru Ahli Pertama",
                employing_instance="Pemerintah Kabupaten Kotabaru",
            ),
            region_code="63.02",
            election=case_pb2.Election(
                kind=case_pb2.ELECTION_KIND_PEMILU,
                year=2024,
                phase=case_pb2.ELECTION_PHASE_AFTER_CANDIDATE_DETERMINATION,
            ),
            legal_basis="UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022",
            violation_form=6,
            source=case_pb2.CASE_SOURCE_FINDING,
            occurred_date=date_pb2.Date(year=2024, month=1, day=28),
            reported_date=date_pb2.Date(year=2024, month=2, day=1),
            summary="Menyukai dan membagikan unggahan kampanye calon di Facebook (data fiktif).",
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="127.0.0.1:50051")
    parser.add_argument("--pki", default="netral-data/pki", type=pathlib.Path)
    args = parser.parse_args()

    stubs = {
        agency: cs_grpc.CaseServiceStub(channel(args.endpoint, args.pki, agency))
        for agency in (BAWASLU, EXAMINER, PPK)
    }
    timeout = 30

    def step(label: str, agency: str, call, request) -> case_pb2.Case:
        try:
            case = call(stubs[agency], request).case
        except grpc.RpcError as err:
            print(f"{label} as {agency} failed: {err.code().name}: {err.details()}", file=sys.stderr)
            raise SystemExit(1)
        state = case_pb2.CaseState.Name(case.state)
        print(f"{label:<24} as {agency:<18} -> {state}")
        return case

    case = step("RegisterCase", BAWASLU, lambda s, r: s.RegisterCase(r, timeout=timeout), registration())
    target = lambda c: {"name": c.name, "etag": c.etag, "request_id": request_id()}  # noqa: E731
    case = step(
        "ForwardCase",
        BAWASLU,
        lambda s, r: s.ForwardCase(r, timeout=timeout),
        cs.ForwardCaseRequest(letter_number="045/PP.01.02/K.KS-05/03/2024", **target(case)),
    )
    case = step("AcceptCase", EXAMINER, lambda s, r: s.AcceptCase(r, timeout=timeout), cs.AcceptCaseRequest(**target(case)))
    case = step(
        "RecommendSanction",
        EXAMINER,
        lambda s, r: s.RecommendSanction(r, timeout=timeout),
        cs.RecommendSanctionRequest(
            recommendation=case_pb2.SanctionRecommendation(
                level=case_pb2.SANCTION_LEVEL_SEVERE,
                moral_sanction=case_pb2.MORAL_SANCTION_OPEN_STATEMENT,
                letter_number="B-1207/BKN/03/2024",
                rationale="Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6).",
            ),
            **target(case),
        ),
    )
    case = step(
        "RecordSanctionDecree",
        PPK,
        lambda s, r: s.RecordSanctionDecree(r, timeout=timeout),
        cs.RecordSanctionDecreeRequest(
            sanctions=[
                case_pb2.ImposedSanction(
                    code="SEVERE_DEMOTION_12M", decree_number="800/123/BKPSDM/2024", decree_date=today()
                )
            ],
            **target(case),
        ),
    )
    case = step(
        "RecordInRegistry",
        EXAMINER,
        lambda s, r: s.RecordInRegistry(r, timeout=timeout),
        cs.RecordInRegistryRequest(registry_reference="IDIS-PY-1", **target(case)),
    )
    if case.state != case_pb2.CASE_STATE_RECORDED:
        print("the case did not reach RECORDED", file=sys.stderr)
        return 1

    ppk_inbox = inbox_grpc.InboxServiceStub(channel(args.endpoint, args.pki, PPK))
    listed = ppk_inbox.ListInbox(
        inbox.ListInboxRequest(filter=f'case = "{case.name}"'), timeout=timeout
    )
    actions = [m.action for m in listed.messages]
    print(f"inbox of {PPK}: {', '.join(actions)}")
    if "RECOMMEND_SANCTION" not in actions:
        print("the PPK was not told of the recommendation", file=sys.stderr)
        return 1
    print(f"{case.name} RECORDED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
