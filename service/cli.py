"""`ssu-service`: serve the API, seed the demo, manage kiosks, RA tools, audit export."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tomllib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from card.keys import load_dev_keys
from card.piv import Puk
from contract.loopback import is_loopback
from contract.ra_wire import RA_ROLES
from service.api.app import create_app
from service.assembly import KeysRefused, load_masters, mailer_for
from service.domain.piv_enrolment import EnrolmentRefused, PivEnrolment, enrol_card
from service.domain.ra_errors import ReportPeriodInvalid
from service.domain.ra_report import as_csv
from service.logs import configure_logging
from service.secrecy import new_token
from service.selfservice import SelfService
from service.settings import ServiceSettings, load_settings
from service.store import migrate, open_engine


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="SQLAlchemy URL (default sqlite:///var/service.db)")
    common.add_argument("--config", type=Path, help="TOML settings (default config/service.toml)")
    common.add_argument("--keys", type=Path, help="TOML file with the master keys")
    common.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="demo mode: accept the public development keys and demo token",
    )

    parser = argparse.ArgumentParser(prog="ssu-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate chain: serve HTTPS")
    serve.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    serve.add_argument("--smtp-host")
    serve.add_argument("--smtp-port", type=int)

    sub.add_parser("seed-demo", parents=[common], help="create the demo data, print it as JSON")

    kiosk = sub.add_parser("kiosk", help="kiosks").add_subparsers(dest="action", required=True)
    add = kiosk.add_parser("add", parents=[common], help="register a kiosk, print its token")
    add.add_argument("name")
    add.add_argument(
        "--ra-desk", action="store_true", help="an RA desk: RAs may sign in at it with their card"
    )
    kiosk.add_parser("list", parents=[common], help="every kiosk as JSON lines, never a token")
    revoke = kiosk.add_parser("revoke", parents=[common], help="refuse a kiosk's token from now on")
    revoke.add_argument("kiosk", help="the kiosk's id, or its name when only one has it")
    rotate = kiosk.add_parser(
        "rotate", parents=[common], help="give a kiosk a new token (printed once), the old refused"
    )
    rotate.add_argument("kiosk", help="the kiosk's id, or its name when only one has it")

    ra = sub.add_parser("ra", help="RA tools").add_subparsers(dest="action", required=True)
    clear = ra.add_parser("clear-lock", parents=[common], help="clear a self-service lock")
    clear.add_argument("uuid")
    show = ra.add_parser("show", parents=[common], help="show a holder")
    show.add_argument("uuid")
    grant = ra.add_parser("grant", parents=[common], help="give a holder an RA role")
    grant.add_argument("uuid")
    grant.add_argument(
        "--role", choices=RA_ROLES, default="ra", help="ra (default), or manager (also the report)"
    )
    take = ra.add_parser("revoke", parents=[common], help="take a holder's RA role away")
    take.add_argument("uuid")

    report = sub.add_parser(
        "report", parents=[common], help="the RA manager's report as CSV (per day and kiosk)"
    )
    report.add_argument("--since", required=True, help="first UTC day, YYYY-MM-DD")
    report.add_argument("--until", required=True, help="last UTC day (included), YYYY-MM-DD")
    report.add_argument("--json", action="store_true", help="JSON, as the RA desk reads it")

    holder = sub.add_parser("holder", help="holder directory").add_subparsers(
        dest="action", required=True
    )
    hadd = holder.add_parser("add", parents=[common], help="bind a holder UUID to a card")
    for name in ("uuid", "serial", "name", "email", "mobile"):
        hadd.add_argument(f"--{name}", required=True)

    card = sub.add_parser("card", help="cards").add_subparsers(dest="action", required=True)
    enrol = card.add_parser(
        "enrol",
        parents=[common],
        help="enrol a PIV card: bind it to its holder and escrow its PUK (docs/api.md)",
    )
    for name in ("uuid", "name", "email", "mobile"):
        enrol.add_argument(f"--{name}", required=True)
    enrol.add_argument(
        "--card-cert", type=Path, required=True, help="the card's 9E certificate (PEM or DER)"
    )
    enrol.add_argument(
        "--holder-cert", type=Path, required=True, help="the card's 9A certificate (PEM or DER)"
    )
    enrol.add_argument(
        "--puk-file",
        type=Path,
        required=True,
        help="file holding the PUK the card has now (read once, never printed; shred it after)",
    )

    audit = sub.add_parser("audit", help="audit").add_subparsers(dest="action", required=True)
    export = audit.add_parser("export", parents=[common], help="audit records as JSON lines")
    export.add_argument("--since", help="RFC 3339 time; only records from then on")
    return parser


def _offline_service(settings: ServiceSettings) -> SelfService:
    """The store for command-line tools, which need no keys beyond fingerprinting."""
    try:
        masters = load_masters(settings)
    except KeysRefused:
        # Tools that only read or clear flags work without the real keys; codes
        # and idempotency fingerprints are never computed here.
        masters = load_dev_keys()
    engine = open_engine(settings.db, settings.db_pool_size)
    migrate(engine)
    return SelfService(settings, engine, masters, mailer_for(settings))


def _certificate_der(path: Path) -> bytes:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        cert = x509.load_pem_x509_certificate(data)
        return cert.public_bytes(serialization.Encoding.DER)
    return data


def _enrol_card(args: argparse.Namespace, settings: ServiceSettings) -> int:
    """`card enrol`: the escrow is sealed under the real masters, so it needs them."""
    try:
        masters = load_masters(settings)
        engine = open_engine(settings.db)
        migrate(engine)
        service = SelfService(settings, engine, masters, mailer_for(settings))
    except KeysRefused as exc:
        print(f"ssu-service: refused: {exc}", file=sys.stderr)
        return 2
    try:
        enrolment = PivEnrolment(
            uuid=args.uuid,
            name=args.name,
            email=args.email,
            mobile=args.mobile,
            card_certificate=_certificate_der(args.card_cert),
            holder_certificate=_certificate_der(args.holder_cert),
            puk=Puk(args.puk_file.read_text("ascii").strip()),
        )
        guid = enrol_card(service, enrolment)
    except OSError as exc:
        print(f"ssu-service: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    except (ValueError, UnicodeDecodeError) as exc:
        # EnrolmentRefused says why; a malformed PUK file is refused without its content.
        message = str(exc) if isinstance(exc, EnrolmentRefused) else "a file is malformed"
        print(f"ssu-service: enrolment refused: {message}", file=sys.stderr)
        return 1
    print(json.dumps({"uuid": args.uuid, "guid": guid, "profile": "piv"}))
    return 0


def transport_refusal(settings: ServiceSettings) -> str | None:
    """Why the service must not listen as configured, or None.

    Kiosk tokens, card proofs and answers cross this connection: off the machine it
    is HTTPS, unless a TLS proxy in front is declared (`plain_http_ok`).
    """
    if (settings.tls_cert is None) != (settings.tls_key is None):
        return "give both --tls-cert and --tls-key, or neither"
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not path.is_file():
            return f"{path} is not a readable file"
    if settings.tls_cert is None and not is_loopback(settings.host) and not settings.plain_http_ok:
        return (
            f"plain HTTP on {settings.host}: give --tls-cert and --tls-key, or set "
            "plain_http_ok only behind a TLS-terminating proxy"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ssu-service`."""
    args = _parser().parse_args(argv)
    overrides = {
        "db": args.db,
        "keys": args.keys,
        "demo": args.demo,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "tls_cert": getattr(args, "tls_cert", None),
        "tls_key": getattr(args, "tls_key", None),
        "smtp_host": getattr(args, "smtp_host", None),
        "smtp_port": getattr(args, "smtp_port", None),
    }
    if args.config is not None and not args.config.is_file():
        print(f"ssu-service: settings file {args.config} not found", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config, **overrides)
    except ValidationError as exc:
        # Which setting and why, never the value given: it may be a secret.
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            print(f"ssu-service: setting {where}: {error['msg']}", file=sys.stderr)
        return 2
    except (FileNotFoundError, tomllib.TOMLDecodeError) as exc:
        print(f"ssu-service: settings file: {exc}", file=sys.stderr)
        return 2
    # Tools print their answer on stdout; only serve reports progress in the log.
    serving = args.command == "serve"
    configure_logging(
        settings.log_format if serving else "text", logging.INFO if serving else logging.WARNING
    )

    if args.command == "serve":
        import uvicorn

        refusal = transport_refusal(settings)
        if refusal is not None:
            print(f"ssu-service: refused: {refusal}", file=sys.stderr)
            return 2
        try:
            app = create_app(settings)
        except KeysRefused as exc:
            print(f"ssu-service: refused: {exc}", file=sys.stderr)
            return 2
        # log_config=None: uvicorn keeps configure_logging's handler and format.
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            log_config=None,
            ssl_certfile=settings.tls_cert,
            ssl_keyfile=settings.tls_key,
        )
        return 0

    if args.command == "card":
        return _enrol_card(args, settings)
    service = _offline_service(settings)
    if args.command == "seed-demo":
        print(json.dumps(service.seed_demo(), indent=2))
    elif args.command == "kiosk" and args.action == "add":
        token = new_token()
        service.add_kiosk(args.name, token, ra_desk=args.ra_desk)
        print(token)
    elif args.command == "kiosk" and args.action == "list":
        for kiosk in service.list_kiosks():
            print(json.dumps(kiosk, sort_keys=True))
    elif args.command == "kiosk":
        try:
            if args.action == "revoke":
                kiosk_id = service.revoke_kiosk(args.kiosk)
                print(f"kiosk {kiosk_id} revoked")
            else:
                token = new_token()
                service.rotate_kiosk(args.kiosk, token)
                print(token)
        except ValueError as exc:
            print(f"ssu-service: {exc}", file=sys.stderr)
            return 1
    elif args.command == "ra" and args.action == "clear-lock":
        if not service.clear_lock(args.uuid):
            print(f"ssu-service: no holder {args.uuid}", file=sys.stderr)
            return 1
        print(f"self-service lock cleared for {args.uuid}")
    elif args.command == "ra" and args.action == "show":
        shown = service.show_holder(args.uuid)
        if shown is None:
            print(f"ssu-service: no holder {args.uuid}", file=sys.stderr)
            return 1
        print(json.dumps(shown, indent=2))
    elif args.command == "ra" and args.action in ("grant", "revoke"):
        role = args.role if args.action == "grant" else None
        if not service.set_ra_role(args.uuid, role):
            print(f"ssu-service: no holder {args.uuid}", file=sys.stderr)
            return 1
        print(f"RA role of {args.uuid}: {role or 'none'}")
    elif args.command == "report":
        return _report(service, args.since, args.until, as_json=args.json)
    elif args.command == "holder":
        try:
            service.add_holder(args.uuid, args.serial, args.name, args.email, args.mobile)
        except ValueError as exc:
            print(f"ssu-service: {exc}", file=sys.stderr)
            return 1
        print(f"holder {args.uuid} bound to card {args.serial.lower()}")
    elif args.command == "audit":
        since = None
        if args.since:
            since = datetime.fromisoformat(args.since.replace("Z", "+00:00")).timestamp()
        for record in service.export_audit(since):
            print(json.dumps(record, sort_keys=True))
    return 0


def _report(service: SelfService, since: str, until: str, *, as_json: bool) -> int:
    try:
        first, last = date.fromisoformat(since), date.fromisoformat(until)
        figures = service.report(first, last)
    except ValueError:
        print("ssu-service: --since and --until are days, YYYY-MM-DD", file=sys.stderr)
        return 2
    except ReportPeriodInvalid as exc:
        print(f"ssu-service: {exc.detail}", file=sys.stderr)
        return 2
    print(
        figures.model_dump_json(indent=2) if as_json else as_csv(figures),
        end="\n" if as_json else "",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
