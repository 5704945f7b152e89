"""A WAMP peer on autobahn-python (Twisted), for the runtime's WAMP tests.

argv: URL REALM ID SERIALIZER(json|msgpack) [AUTHID SECRET]. With AUTHID and SECRET it joins with WAMP-CRA (a salted
challenge answered with the PBKDF2-derived key). It subscribes to <ID>.status, calls <ID>.GetPLCstatus, <ID>.StartPLC
and <ID>.StopPLC, and prints one JSON line for the join, each answer and each status event; a refused join prints
["leave", REASON]. Exits 0 after leaving, 3 on a 30 s deadline.
"""
import json
import os
import sys

from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp import auth
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks

URL, REALM, ID, SERIALIZER = sys.argv[1:5]
AUTHID, SECRET = (sys.argv[5:7] + [None, None])[:2]


def say(*value):
    # Straight to fd 1: the runner sends print() through Twisted's logger, which adds a timestamp.
    os.write(1, (json.dumps(list(value)) + "\n").encode())


class Peer(ApplicationSession):
    def onConnect(self):
        if SECRET is None:
            self.join(self.config.realm)
        else:
            self.join(self.config.realm, ["wampcra"], AUTHID)

    def onChallenge(self, challenge):
        key = SECRET
        if "salt" in challenge.extra:
            key = auth.derive_key(SECRET, challenge.extra["salt"], challenge.extra["iterations"], challenge.extra["keylen"])
        return auth.compute_wcs(key, challenge.extra["challenge"]).decode("ascii")

    @inlineCallbacks
    def onJoin(self, details):
        say("joined", details.authmethod, details.authid)
        events = []
        waiting = [None]

        def on_status(status):
            events.append(status)
            if waiting[0] is not None and not waiting[0].called:
                waiting[0].callback(None)

        def event(n):
            if len(events) >= n:
                return events[n - 1]
            waiting[0] = Deferred()
            return waiting[0].addCallback(lambda _: event(n))

        yield self.subscribe(on_status, ID + ".status")
        say("status", (yield self.call(ID + ".GetPLCstatus")))
        say("start", (yield self.call(ID + ".StartPLC")))
        say("event", (yield event(1)))
        say("stop", (yield self.call(ID + ".StopPLC")))
        say("event", (yield event(2)))
        self.leave()

    def onLeave(self, details):
        if details.reason not in ("wamp.close.normal", "wamp.close.goodbye_and_out"):
            say("leave", details.reason)
        self.disconnect()

    def onDisconnect(self):
        if reactor.running:
            reactor.stop()


def deadline():
    say("timeout")
    os._exit(3)


reactor.callLater(30, deadline)
serializer = MsgPackSerializer() if SERIALIZER == "msgpack" else JsonSerializer()
ApplicationRunner(URL, REALM, serializers=[serializer]).run(Peer)
