/** The cip-codec fixtures the server suites share: the ExampleSensor structure, its values and its captured bytes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex, type JsonDataType } from "@cpppo/cip-codec";

/** The folder of captured bytes and tag definitions, in @cpppo/cip-codec. */
export const FIXTURES = join(__dirname, "../../../cip-codec/fixtures");

/** The parsed JSON of fixture file `name`. */
export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

/** ExampleSensor-tags.json: tag name → its pycomm3 tag description. */
export const exampleSensorTags =
  readFixtureJson<Record<string, { data_type: JsonDataType }>>("ExampleSensor-tags.json");

/** The ExampleSensor UDT (pycomm3's data_type of the tag Input_MSG_ExampleSensor). */
export const EXAMPLE_SENSOR_UDT = exampleSensorTags.Input_MSG_ExampleSensor?.data_type as JsonDataType;

/** ExampleSensor-vals.json: one record of member values per array element. */
export function exampleSensorValues(): Record<string, unknown>[] {
  return readFixtureJson<Record<string, unknown>[]>("ExampleSensor-vals.json");
}

/** The bytes of ExampleSensor.hexdump (a ControlLogix's Sensors array, read by pycomm3). */
export function exampleSensorDump(): Uint8Array {
  let hex = "";
  for (const line of readFileSync(join(FIXTURES, "ExampleSensor.hexdump"), "utf8").split("\n"))
    if (line.trim()) hex += line.slice(line.indexOf(":") + 1, line.indexOf("|"));
  return fromHex(hex);
}
