"""A WAMP caller on autobahn-python (Twisted, msgpack), for the plc-service tests.

argv: URL REALM ID. Subscribes to <ID>.status, calls <ID>.GetPLCstatus, then <ID>.StartPLC, and prints one JSON
line for each answer and for the first status event; exits 0 after leaving, 3 on a 30 s deadline.
"""
import json
import os
import sys

from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp.serializer import MsgPackSerializer
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks

URL, REALM, ID = sys.argv[1:4]


def say(*value):
    # Straight to fd 1: the runner sends print() through Twisted's logger, which adds a timestamp.
    os.write(1, (json.dumps(list(value)) + "\n").encode())


class Caller(ApplicationSession):
    @inlineCallbacks
    def onJoin(self, details):
        event = Deferred()
        yield self.subscribe(lambda s: event.called or event.callback(s), ID + ".status")
        say("status", (yield self.call(ID + ".GetPLCstatus")))
        say("start", (yield self.call(ID + ".StartPLC")))
        say("event", (yield event))
        self.leave()

    def onDisconnect(self):
        if reactor.running:
            reactor.stop()


def deadline():
    say("timeout")
    sys.exit(3)


reactor.callLater(30, deadline)
ApplicationRunner(URL, REALM, serializers=[MsgPackSerializer()]).run(Caller)
