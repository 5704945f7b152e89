/** modbus-serial 8.0.25's client (ModbusRTU.connectTCP) against the server, through every function code it has. */
import ModbusRTU from "modbus-serial";
import { type Listener, ModbusServer, ModbusStore, parseRegisterRanges } from "../src/index.js";

let server: ModbusServer;
let listener: Listener;
let store: ModbusStore;
let client: ModbusRTU;

beforeAll(async () => {
  store = ModbusStore.fromRanges(
    parseRegisterRanges(["1-32=1,0,0", "10001-10016=1,1,0", "30001-30010=300", "40001-40125=400"]),
  );
  server = new ModbusServer({
    store,
    deviceIdentification: { 0: "cpppo", 1: "sim", 2: "2.3", 4: "Modbus simulator" },
  });
  listener = await server.listenTcp({ host: "127.0.0.1", port: 0 });
  client = new ModbusRTU();
  await client.connectTCP("127.0.0.1", { port: listener.port });
  client.setID(1);
  client.setTimeout(5000);
});

afterAll(async () => {
  await new Promise<void>((resolve) => client.close(() => resolve()));
  await server.close({ deadlineMs: 1000 });
});

it("FC1 and FC2 read bits", async () => {
  expect((await client.readCoils(0, 6)).data.slice(0, 6)).toEqual([true, false, false, true, false, false]);
  expect((await client.readDiscreteInputs(0, 3)).data.slice(0, 3)).toEqual([true, true, false]);
});

it("FC3 and FC4 read registers, 125 at once", async () => {
  const held = await client.readHoldingRegisters(0, 125);
  expect(held.data).toHaveLength(125);
  expect(held.data.every((v) => v === 400)).toBe(true);
  expect((await client.readInputRegisters(0, 10)).data).toEqual(new Array(10).fill(300));
});

it("FC5, FC6, FC15 and FC16 write", async () => {
  await client.writeCoil(1, true);
  await client.writeRegister(3, 0xbeef);
  await client.writeCoils(8, [true, true, false, true]);
  await client.writeRegisters(10, [1, 2, 3]);
  expect(store.read("coils", 1, 1)).toEqual([1]);
  expect(store.read("holdingRegisters", 3, 1)).toEqual([0xbeef]);
  expect(store.read("coils", 8, 4)).toEqual([1, 1, 0, 1]);
  expect(store.read("holdingRegisters", 10, 3)).toEqual([1, 2, 3]);
});

it("FC22 mask-writes and FC23 writes then reads", async () => {
  store.write("holdingRegisters", 20, [0x12]);
  const masked = await client.maskWriteRegister(20, 0xf2, 0x25);
  expect(masked).toEqual({ address: 20, andMask: 0xf2, orMask: 0x25 });
  expect(store.read("holdingRegisters", 20, 1)).toEqual([0x17]);
  const rw = await (
    client as unknown as {
      readWriteRegisters(
        a: number,
        n: number,
        w: number,
        m: number,
        v: number[],
      ): Promise<{ data: number[] }>;
    }
  ).readWriteRegisters(30, 3, 31, 2, [7, 8]);
  expect(rw.data).toEqual([400, 7, 8]);
});

it("FC43/14 reads the device identification", async () => {
  const basic = await client.readDeviceIdentification(1, 0);
  const objects = basic.data as unknown as Record<number, string>;
  expect([objects[0], objects[1], objects[2]]).toEqual(["cpppo", "sim", "2.3"]);
  const regular = await client.readDeviceIdentification(2, 0);
  expect(regular.data[4]).toBe("Modbus simulator");
  expect(regular.conformityLevel).toBe(0x82);
});

it("gets exceptions 02 and 03 as errors with their codes", async () => {
  await expect(client.readHoldingRegisters(200, 1)).rejects.toMatchObject({ modbusCode: 2 });
  await expect(client.readInputRegisters(0, 0)).rejects.toMatchObject({ modbusCode: 3 });
  // The connection stays usable.
  expect((await client.readInputRegisters(0, 1)).data).toEqual([300]);
});
