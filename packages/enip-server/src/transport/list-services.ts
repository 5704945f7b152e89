/** The List replies (ListIdentity, ListServices, ListInterfaces, legacy), on TCP and UDP alike. */
import {
  type CpfItem,
  type EncapsulationFrame,
  encodeEncapsulation,
  ListServicesCapability,
} from "@cpppo/cip-codec";
import type { Controller } from "../controller/controller.js";
import type { Engine } from "./engine.js";
import { DEFAULT_PORT } from "./options.js";
import type { TcpConnection } from "./tcp-connection.js";
import { ENCAPSULATION_VERSION, isIpv4, plainAddress } from "./wire.js";

const AF_INET = 2;

/** The socket address ListIdentity reports: the address the request arrived on and the bound port. */
export function advertisedAddress(
  engine: Engine,
  connection: TcpConnection | undefined,
): { address: string; port: number } {
  const udp = engine.udpAddress();
  const port = engine.tcpPort() || udp?.port || DEFAULT_PORT;
  let address = connection ? plainAddress(connection.socket.localAddress) : plainAddress(udp?.address);
  if (!isIpv4(address) || address === "0.0.0.0") {
    const configured = engine.controller.tcpip?.interfaceConfiguration?.ipAddress;
    address = configured !== undefined && isIpv4(configured) ? configured : "0.0.0.0";
  }
  return { address, port };
}

export function listReply(
  controller: Controller,
  decoded: EncapsulationFrame,
  where: { address: string; port: number },
): Uint8Array {
  const command = decoded.body.command;
  const socketAddress = { family: AF_INET, port: where.port, address: where.address };
  let cpf: CpfItem[];
  if (command === "listIdentity") {
    const id = controller.identity;
    cpf = [
      {
        kind: "listIdentity",
        protocolVersion: ENCAPSULATION_VERSION,
        socketAddress,
        vendorId: id.vendorId,
        deviceType: id.deviceType,
        productCode: id.productCode,
        revisionMajor: id.revision.major,
        revisionMinor: id.revision.minor,
        status: id.status,
        serialNumber: id.serialNumber,
        productName: id.productName,
        state: id.state ?? 0xff,
      },
    ];
  } else if (command === "listServices")
    cpf = [
      {
        kind: "listServices",
        version: ENCAPSULATION_VERSION,
        capabilityFlags: ListServicesCapability.cipOverTcp,
        name: "Communications",
      },
    ];
  else if (command === "legacy")
    cpf = [{ kind: "legacyReply", version: 1, reserved: 0, socketAddress, ipString: where.address }];
  else cpf = [];
  return encodeEncapsulation({
    header: { session: decoded.header.session, senderContext: decoded.header.senderContext },
    body: { command: command as "listIdentity", cpf },
  });
}
