import { runMain } from "../cli.js";
import { main } from "../enip-thruput.js";

runMain(main);
