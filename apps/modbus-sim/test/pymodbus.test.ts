/**
 * modbus-sim against pymodbus 3.0.0's synchronous TCP client, run by Debian's own /usr/bin/python3 (a pyenv
 * python3 earlier on PATH does not have the package). Debian installs pyserial and serial_asyncio only as
 * recommendations, yet pymodbus.client imports them; the script stands in empty modules when they are absent.
 */
import { killExecutables, startExecutable } from "./support/executable.js";
import { describeWithPeers, runPeer, runs } from "./support/peers.js";

const PYTHON = "/usr/bin/python3";

const SCRIPT = `
import json, sys, types
class _Absent(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return None
for name in ("serial", "serial_asyncio"):
    try: __import__(name)
    except ImportError: sys.modules[name] = _Absent(name)
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[1]), timeout=5)
assert c.connect()
out = {}
out["hr"] = c.read_holding_registers(0, 5, slave=1).registers
out["w16"] = c.write_registers(1, [7, 8, 9], slave=1).isError()
out["w6"] = c.write_register(4, 65535, slave=1).isError()
out["hr2"] = c.read_holding_registers(0, 5, slave=1).registers
out["ir"] = c.read_input_registers(0, 2, slave=1).registers
out["w15"] = c.write_coils(0, [True, False, True], slave=1).isError()
out["w5"] = c.write_coil(3, True, slave=1).isError()
out["co"] = c.read_coils(0, 4, slave=1).bits[:4]
out["di"] = c.read_discrete_inputs(0, 3, slave=1).bits[:3]
r = c.read_holding_registers(5, 1, slave=1)
out["undefined"] = [r.isError(), getattr(r, "exception_code", None)]
r = c.read_holding_registers(0, 126, slave=1)
out["too_many"] = [r.isError(), getattr(r, "exception_code", None)]
c.close()
print(json.dumps(out))
`;

afterAll(() => killExecutables());

describeWithPeers(
  "modbus-sim with pymodbus 3.0.0",
  () => (runs(PYTHON, ["-c", "import pymodbus"]) ? undefined : "python3-pymodbus (for /usr/bin/python3)"),
  () => {
    it("reads and writes every table, and gets exceptions 02 and 03", async () => {
      const cli = await startExecutable([
        "-a",
        "127.0.0.1:0",
        "40001-40005=10,20,30,40,50",
        "30001=1,2",
        "1-4=0",
        "10001=1,1,0",
      ]);
      const run = await runPeer(PYTHON, ["-c", SCRIPT, String(cli.port)]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        hr: [10, 20, 30, 40, 50],
        w16: false,
        w6: false,
        hr2: [10, 7, 8, 9, 65535],
        ir: [1, 2],
        w15: false,
        w5: false,
        co: [true, false, true, true],
        di: [true, true, false],
        undefined: [true, 2],
        too_many: [true, 3],
      });
    }, 60_000);
  },
);
