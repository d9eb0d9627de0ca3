#!/usr/bin/python3
"""A real SMTP server for the e2e tests: Debian's aiosmtpd (python3-aiosmtpd), configured with STARTTLS
(required before AUTH) and one user, writing every message it accepts to OUT_DIR/NNN.eml.

    /usr/bin/python3 smtp_server.py PORT CERT KEY USER PASSWORD OUT_DIR

Prints "ready" once listening; runs until it gets SIGTERM. Run with Debian's python3, which has aiosmtpd.
"""
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, cert, key, user, password, out_dir = sys.argv[1:7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    count = [0]
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                count[0] += 1
                path = os.path.join(out_dir, "%03d.eml" % count[0])
            with open(path + ".tmp", "wb") as f:
                f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Tls: %s\r\nX-Auth: %s\r\n" % (
                    envelope.mail_from, ",".join(envelope.rcpt_tos), "yes" if session.ssl else "no",
                    session.auth_data if session.authenticated else "")).encode())
                f.write(envelope.original_content)
            os.rename(path + ".tmp", path)
            return "250 Message accepted"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
            auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)

    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=context,
                            require_starttls=True, authenticator=authenticate, auth_required=True,
                            auth_require_tls=True)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
