import { runMain } from "../cli.js";
import { main } from "../enip-list-identity.js";

runMain(main);
