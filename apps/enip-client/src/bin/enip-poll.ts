import { runMain } from "../cli.js";
import { main } from "../enip-poll.js";

runMain(main);
