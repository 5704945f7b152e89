/** @cpppo/pcap-kit: test support for Wireshark checks. */
export type { TsharkVerdict } from "./pcap.js";
export {
  describeWithTshark,
  isCi,
  PcapWriter,
  TcpConversation,
  tsharkAvailable,
  tsharkFields,
  tsharkVerdict,
} from "./pcap.js";
export type { StreamFramer } from "./proxy.js";
export { RecordingProxy } from "./proxy.js";
