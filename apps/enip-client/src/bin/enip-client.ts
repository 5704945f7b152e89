import { runMain } from "../cli.js";
import { main } from "../enip-client.js";

runMain(main);
