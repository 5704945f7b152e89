/** The client's diagnostics channel (CONTRIBUTING.md: libraries never print; subscribers listen). */
import { channel } from "node:diagnostics_channel";

/** Diagnostics channel of the client: connection lifecycle and dropped frames, for subscribers only (never printed). */
export const clientChannel = channel("cpppo:enip:client");
