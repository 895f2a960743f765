"""A real SMTP server for pantau's email tests, built on aiosmtpd.

Usage: python3 tests/smtp/server.py PORT MAILDIR

Listens on 127.0.0.1:PORT and writes every message it accepts to MAILDIR as NNNN.eml (written
to a temporary name first, then renamed, so a test never reads half a message). It prints
"ready" on standard output once it listens.

Recipients tell it how to answer, so a test can make it fail on purpose:
  an address starting with "tempfail" -> 451 4.3.0 (temporary: the sender should retry)
  an address starting with "permfail" -> 550 5.1.1 (permanent: the sender should give up)
"""

import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, maildir):
        self.maildir = maildir
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if local.startswith("permfail"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        final = os.path.join(self.maildir, "%04d.eml" % number)
        temporary = os.path.join(self.maildir, ".%04d.tmp" % number)
        with open(temporary, "wb") as out:
            out.write(envelope.original_content or envelope.content)
            out.flush()
            os.fsync(out.fileno())
        os.rename(temporary, final)
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    maildir = sys.argv[2]
    os.makedirs(maildir, exist_ok=True)
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.call_soon_threadsafe(stop.stop))
    try:
        stop.run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
