#!/usr/bin/python3
# Writes fixtures/zone-renderings.json: 12 random instants of 2000-2030 (seed 13) in each of 42 zones, as Python's
# zoneinfo renders them from the system tz database: [zone, epoch seconds, "YYYY-MM-DD HH:MM:SS ABBR", offset s].
# test/time-zones.test.ts checks @cpppo/history's rendering against them. Run: /usr/bin/python3 scripts/gen-zone-renderings.py
import datetime
import json
import random
import zoneinfo

ZONES = [
    "America/Edmonton", "America/Toronto", "America/St_Johns", "America/Halifax", "America/Los_Angeles",
    "America/Chicago", "America/Denver", "America/Phoenix", "America/Anchorage", "Pacific/Honolulu",
    "America/Mexico_City", "America/Sao_Paulo", "America/Santiago", "America/Havana", "Europe/London",
    "Europe/Dublin", "Europe/Berlin", "Europe/Paris", "Europe/Lisbon", "Europe/Helsinki", "Europe/Moscow",
    "Europe/Chisinau", "Asia/Jerusalem", "Asia/Kolkata", "Asia/Tokyo", "Asia/Shanghai", "Asia/Karachi",
    "Asia/Tehran", "Asia/Dubai", "Australia/Sydney", "Australia/Adelaide", "Australia/Perth",
    "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "Africa/Johannesburg", "Africa/Cairo",
    "Africa/Casablanca", "Africa/Lagos", "Asia/Amman", "Asia/Beirut", "America/Whitehorse",
]

random.seed(13)
utc = datetime.timezone.utc
lo = int(datetime.datetime(2000, 1, 1, tzinfo=utc).timestamp())
hi = int(datetime.datetime(2030, 1, 1, tzinfo=utc).timestamp())
rows = []
for name in ZONES:
    zone = zoneinfo.ZoneInfo(name)
    for _ in range(12):
        t = random.randint(lo, hi)
        local = datetime.datetime.fromtimestamp(t, zone)
        rows.append([name, t, local.strftime("%Y-%m-%d %H:%M:%S %Z"), int(local.utcoffset().total_seconds())])
with open("fixtures/zone-renderings.json", "w") as out:
    out.write("[\n" + ",\n".join("  " + json.dumps(row) for row in rows) + "\n]\n")
