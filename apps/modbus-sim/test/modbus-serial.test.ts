/**
 * modbus-sim against modbus-serial 8 (the Node Modbus client most projects use) over TCP: reads and writes of every
 * table, FC22 and FC23, device identification (43/14), and the exception codes it reports as `modbusCode`.
 */
import ModbusRTU from "modbus-serial";
import { type Cli, killExecutables, startExecutable } from "./support/executable.js";

let cli: Cli;
let client: ModbusRTU;

beforeAll(async () => {
  cli = await startExecutable([
    "-a",
    "127.0.0.1:0",
    "1-8=0",
    "10001-10004=1,0,0,1",
    "30001-30003=0x7fff,0x8000,0xffff",
    "40001-40010=1,2,3,4,5,6,7,8,9,10",
  ]);
  client = new ModbusRTU();
  await client.connectTCP("127.0.0.1", { port: cli.port });
  client.setID(1);
  client.setTimeout(5_000);
}, 30_000);

afterAll(async () => {
  await new Promise<void>((ok) => client?.close(() => ok()));
  killExecutables();
});

/** The `modbusCode` modbus-serial rejects with. */
async function exceptionOf(request: Promise<unknown>): Promise<unknown> {
  try {
    await request;
  } catch (err) {
    return (err as { modbusCode?: number }).modbusCode;
  }
  throw new Error("the request succeeded");
}

describe("modbus-sim with modbus-serial", () => {
  it("reads holding and input registers, and discrete inputs", async () => {
    expect((await client.readHoldingRegisters(0, 10)).data).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await client.readInputRegisters(0, 3)).data).toEqual([0x7fff, 0x8000, 0xffff]);
    expect((await client.readDiscreteInputs(0, 4)).data.slice(0, 4)).toEqual([true, false, false, true]);
  });

  it("writes coils (FC5, FC15) and registers (FC6, FC16, FC22, FC23)", async () => {
    await client.writeCoil(1, true);
    await client.writeCoils(4, [true, true, false, true]);
    expect((await client.readCoils(0, 8)).data.slice(0, 8)).toEqual([
      false,
      true,
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
    await client.writeRegister(0, 0xabcd);
    await client.writeRegisters(1, [100, 200]);
    await client.maskWriteRegister(0, 0xff00, 0x0012);
    expect((await client.readHoldingRegisters(0, 3)).data).toEqual([0xab12, 100, 200]);
    const both = await new Promise<{ data: number[] }>((ok, fail) =>
      client.writeFC23(1, 0, 4, 8, 2, [77, 88], (err, res) => (err ? fail(err) : ok(res))),
    );
    expect(both.data).toEqual([0xab12, 100, 200, 4]);
    expect((await client.readHoldingRegisters(8, 2)).data).toEqual([77, 88]);
  });

  it("reads the device identification (43/14)", async () => {
    const ident = await client.readDeviceIdentification(1, 0);
    expect(Object.keys(ident.data).map(Number)).toEqual([0, 1, 2]);
  });

  it("reports exceptions 02 (undefined address) and 03 (bad quantity)", async () => {
    expect(await exceptionOf(client.readHoldingRegisters(10, 1))).toBe(2);
    expect(await exceptionOf(client.readInputRegisters(2, 2))).toBe(2);
    expect(await exceptionOf(client.writeRegister(40, 1))).toBe(2);
    expect(await exceptionOf(client.readCoils(0, 2001))).toBe(3);
    // The connection is still usable.
    expect((await client.readHoldingRegisters(1, 2)).data).toEqual([100, 200]);
  });
});
