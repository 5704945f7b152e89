// Typed attribute reads by name (cpppo's get_attribute proxy) against the real simulator's Identity and TCP/IP objects.
import { INT, REAL, SSTRING, UINT } from "@cpppo/cip-codec";
import type { EnipServer } from "@cpppo/enip-server";
import { EnipClient } from "../src/client.js";
import { InvalidArgumentError } from "../src/core/errors.js";
import { AttributeProxy, PARAMETERS, parameterName } from "../src/proxy.js";
import { startSimulator } from "./support/simulator.js";

let server: EnipServer;
let client: EnipClient;

beforeAll(async () => {
  const sim = await startSimulator(["Output_Current@0x93/7/10=REAL"]);
  server = sim.server;
  client = await EnipClient.connect({ host: "127.0.0.1", port: sim.port });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

test("parameter names are substituted as cpppo does", () => {
  expect(parameterName("Output Current")).toBe("output_current");
  expect(parameterName("  Product-Name ")).toBe("product_name");
  expect(parameterName("DC Bus Volts (V)")).toBe("dc_bus_volts_v");
});

test("the built-in parameters decode the Identity and TCP/IP objects", async () => {
  const proxy = new AttributeProxy(client);
  const [identity, name, serial, revision, tcpip, host] = await proxy.read([
    "identity",
    "Product Name",
    "serial_number",
    "revision",
    "tcpip",
    "host_name",
  ]);
  expect(identity?.value).toMatchObject({
    vendorId: 1,
    deviceType: 14,
    productCode: 54,
    productName: "1756-L61/B LOGIX5561",
  });
  expect(name).toMatchObject({ ok: true, name: "Product Name", value: "1756-L61/B LOGIX5561" });
  expect(serial?.value).toBe(7079450);
  expect(revision?.value).toEqual({ major: 20, minor: 11 });
  expect(tcpip?.value).toMatchObject({
    status: 2,
    configurationCapability: 0x30,
    interfaceConfiguration: { ipAddress: expect.any(String) },
  });
  expect(host?.ok).toBe(true);
  expect(Object.keys(PARAMETERS)).toEqual(expect.arrayContaining(["identity", "product_name", "tcpip"]));
});

test("device parameters: one type, a list of types read in turn, units kept", async () => {
  const proxy = new AttributeProxy(client, {
    "Output Current": { path: "@0x93/7/10", decode: REAL, units: "Amps" },
    "Vendor and type": { path: "@1/1", decode: [UINT, INT, INT] },
  });
  await client.setAttributeSingle("@0x93/7/10", { type: REAL, values: [3.25] });
  const [current, pair] = await proxy.read(["output_current", "vendor and type"]);
  expect(current).toMatchObject({ ok: true, value: 3.25, units: "Amps" });
  expect(pair?.value).toEqual([1, 14, 54]);
});

test("a failed attribute is a result with its status; an unknown name is a caller mistake", async () => {
  const proxy = new AttributeProxy(client, { missing: { path: "@1/1/99", decode: SSTRING } });
  const [missing] = await proxy.read(["missing"]);
  expect(missing?.ok).toBe(false);
  expect(missing?.value).toBeUndefined();
  expect(missing?.status).not.toBe(0);
  expect(() => proxy.parameter("nope")).toThrow(InvalidArgumentError);
  await expect(proxy.read(["nope"])).rejects.toThrow(/known: .*identity/);
});
