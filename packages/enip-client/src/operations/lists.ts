/** ListIdentity, ListServices and ListInterfaces over an open session (discovery without one is `discover`). */
import type { CpfItem } from "@cpppo/cip-codec";
import { ProtocolError } from "../core/errors.js";
import type { RequestOptions } from "../core/result.js";
import type { EncapsulationPort } from "./port.js";

/** The items of the reply to a List command; throws `ProtocolError` on an encapsulation error status. */
export async function listItems(
  port: EncapsulationPort,
  command: "listIdentity" | "listServices" | "listInterfaces",
  options: RequestOptions,
): Promise<CpfItem[]> {
  const reply = await port.encapsulated(command, options);
  if (reply.header.status !== 0)
    throw new ProtocolError(
      `${command} failed with encapsulation status 0x${reply.header.status.toString(16)}`,
    );
  const body = reply.body;
  return "cpf" in body && body.cpf !== undefined ? body.cpf : [];
}
